import { useEffect, useState } from 'react';
import { parseRoute, type Route } from '../lib/routes';
import { followHash, unsavedChanges } from '../lib/unsaved';

/** The current route; leaving a page with unsaved edits asks first (lib/unsaved.ts). */
export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => followHash(window, unsavedChanges, setRoute), []);
  return route;
}
