/** What the preference center is given of a Vox instance: its preferences and suppression list. */
import type { Store } from '../store/store.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { SiteOptions } from '../vocabulary/site.ts';
import type { PreferenceCenterDeps } from './port.ts';

export function preferenceCenterDeps(store: Store, site: SiteOptions): PreferenceCenterDeps {
  const unavailable = () => Promise.reject(new VoxError(ErrorCode.configuration, 'preferences are not available yet'));
  return {
    get: unavailable,
    set: unavailable,
    suppress: (entry) => store.suppressions.add([entry]),
    siteName: site.name,
  };
}
