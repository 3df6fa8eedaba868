import type { Me } from '../api/types';
import { roleNames, type StaffRole } from '../lib/roles';

export function Header({ me, role, onSignOut }: { me: Me; role: StaffRole; onSignOut: () => void }) {
  return (
    <header className="app-header" data-testid="app-header">
      <div className="app-header__brand">
        <span className="brand">Concierge</span>
        <span className="app-header__business" data-testid="header-business-name">
          {me.business.name}
        </span>
      </div>
      <div className="app-header__user">
        <span className="app-header__identity">
          <span className="app-header__email" data-testid="header-user-email">
            {me.email}
          </span>
          <span className={`role-tag role-tag--${role}`} data-testid="header-user-role">
            {roleNames[role]}
          </span>
        </span>
        <button type="button" className="button button--quiet" onClick={onSignOut} data-testid="sign-out-button">
          Sign out
        </button>
      </div>
    </header>
  );
}
