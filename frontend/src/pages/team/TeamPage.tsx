import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime } from '../../lib/format';
import { roleNames } from '../../lib/roles';
import { teamApi, teamRoles, type TeamMember, type TeamRole } from './team-api';
import './team.css';

/**
 * The team: everyone sees who is on it; admins invite people (an e-mail with a temporary password),
 * change roles and disable accounts. The server refuses to remove the last admin and says why.
 */
export function TeamPage() {
  const { api, isAdmin, me } = useSession();
  const team = useMemo(() => teamApi(api), [api]);
  const load = useCallback((signal: AbortSignal) => team.list({ signal }), [team]);
  const { data, error, reload } = useLoader(load);
  const [actionError, setActionError] = useState<ErrorView>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<string>): Promise<boolean> => {
    setBusy(true);
    setActionError(undefined);
    setNotice('');
    try {
      setNotice(await action());
      reload();
      return true;
    } catch (err) {
      setActionError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="team" data-testid="team-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Team</h1>
        <button type="button" className="button button--secondary" onClick={reload} data-testid="team-refresh">
          Refresh
        </button>
      </div>
      <p className="page-intro muted">
        {isAdmin
          ? 'Invite admins and agents, change their roles, or disable an account. An invited person gets an e-mail with a temporary password.'
          : 'Who works on this business. Only admins can invite people or change the team.'}
      </p>
      {isAdmin && (
        <InviteForm
          busy={busy}
          onInvite={(email, role) => run(async () => `Invited ${(await team.invite({ email, role })).email} as ${roleNames[role].toLowerCase()}.`)}
        />
      )}
      <p role="status" className="muted" data-testid="team-notice">
        {notice}
      </p>
      {actionError !== undefined && <ErrorBanner error={actionError} title="That did not work" testId="team-action-error" />}
      {error !== undefined && <ErrorBanner error={error} title="Could not load the team" testId="team-error" />}
      {data === undefined ? (
        error === undefined && <Loading label="Loading the team…" />
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="team-table">
            <caption className="visually-hidden">Team members</caption>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
                {isAdmin && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {data.map((m) => (
                <MemberRow
                  key={m.userId}
                  member={m}
                  isSelf={m.email.toLowerCase() === me.email.toLowerCase()}
                  isAdmin={isAdmin}
                  busy={busy}
                  onRole={(role) => run(async () => `${(await team.changeRole(m.userId, role)).email} is now ${roleNames[role].toLowerCase()}.`)}
                  onDisable={() => run(async () => `${(await team.disable(m.userId)).email} is disabled.`)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function InviteForm({ busy, onInvite }: { busy: boolean; onInvite: (email: string, role: TeamRole) => Promise<boolean> }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<TeamRole>('agent');
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await onInvite(email.trim(), role)) setEmail('');
  };
  return (
    <form className="card team__invite" onSubmit={(e) => void submit(e)} data-testid="team-invite-form" aria-label="Invite a person">
      <div className="field">
        <label htmlFor="team-invite-email">E-mail</label>
        <input id="team-invite-email" type="email" required maxLength={254} autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="team-invite-email" />
      </div>
      <div className="field">
        <label htmlFor="team-invite-role">Role</label>
        <select id="team-invite-role" value={role} onChange={(e) => setRole(teamRoles.find((r) => r === e.target.value) ?? 'agent')} data-testid="team-invite-role">
          {teamRoles.map((r) => (
            <option key={r} value={r}>
              {roleNames[r]}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button" disabled={busy} data-testid="team-invite-submit">
        Invite
      </button>
    </form>
  );
}

function MemberRow({
  member,
  isSelf,
  isAdmin,
  busy,
  onRole,
  onDisable,
}: {
  member: TeamMember;
  isSelf: boolean;
  isAdmin: boolean;
  busy: boolean;
  onRole: (role: TeamRole) => Promise<boolean>;
  onDisable: () => Promise<boolean>;
}) {
  const [confirming, setConfirming] = useState(false);
  const status = !member.enabled ? 'Disabled' : member.status === 'invited' ? 'Invited' : 'Active';
  return (
    <tr data-testid="team-member" data-email={member.email} data-role={member.role} data-enabled={String(member.enabled)}>
      <th scope="row">
        {member.email}
        {isSelf && <span className="muted"> (you)</span>}
      </th>
      <td data-testid="team-member-role">{roleNames[member.role]}</td>
      <td data-testid="team-member-status">{status}</td>
      <td>{member.createdAt !== undefined ? <time dateTime={member.createdAt}>{formatDateTime(member.createdAt)}</time> : '—'}</td>
      {isAdmin && (
        <td>
          <div className="team__actions">
            <label className="visually-hidden" htmlFor={`team-role-${member.userId}`}>
              Role of {member.email}
            </label>
            <select
              id={`team-role-${member.userId}`}
              value={member.role}
              disabled={busy || !member.enabled}
              onChange={(e) => {
                const role = teamRoles.find((r) => r === e.target.value);
                if (role !== undefined && role !== member.role) void onRole(role);
              }}
              data-testid="team-member-role-select"
            >
              {teamRoles.map((r) => (
                <option key={r} value={r}>
                  {roleNames[r]}
                </option>
              ))}
            </select>
            {member.enabled &&
              (confirming ? (
                <>
                  <button
                    type="button"
                    className="button button--secondary"
                    disabled={busy}
                    onClick={() => void onDisable().then(() => setConfirming(false))}
                    data-testid="team-member-disable-confirm"
                  >
                    Disable {member.email}
                  </button>
                  <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" className="button button--secondary" disabled={busy} onClick={() => setConfirming(true)} data-testid="team-member-disable">
                  Disable…
                </button>
              ))}
          </div>
        </td>
      )}
    </tr>
  );
}
