/** What the preference center is given of a Vox instance: its preferences and suppression list. */
import type { Preferences } from '../manage/preferences.ts';
import type { Suppressions } from '../manage/suppressions.ts';
import type { SiteOptions } from '../vocabulary/site.ts';
import type { PreferenceCenterDeps } from './port.ts';

export function preferenceCenterDeps(preferences: Preferences, suppressions: Suppressions, site: SiteOptions): PreferenceCenterDeps {
  return {
    get: (model, id) => preferences.get(model, id),
    set: (model, id, changes) => preferences.set(model, id, changes),
    suppress: (entry) => suppressions.add(entry),
    suppression: async (protocol, address) => [...(await suppressions.find(protocol, [address])).values()][0],
    unsuppress: (protocol, address) => suppressions.remove(protocol, address),
    siteName: site.name,
    siteUrl: site.baseUrl,
  };
}
