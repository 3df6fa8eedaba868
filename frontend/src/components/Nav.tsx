import { sectionHref, type SectionName } from '../lib/routes';
import type { Section } from '../sections';

export function Nav({ sections, current }: { sections: readonly Section[]; current: SectionName | undefined }) {
  return (
    <nav className="app-nav" aria-label="Sections">
      <ul>
        {sections.map((s) => (
          <li key={s.name}>
            <a
              href={sectionHref(s.name)}
              aria-current={s.name === current ? 'page' : undefined}
              data-testid={`nav-${s.name}`}
            >
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
