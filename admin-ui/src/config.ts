/** What the server's HTML shell tells the app: where it is mounted and the CSRF token. */
export interface ShellConfig {
  readonly basePath: string;
  readonly csrf: string;
  readonly title: string;
}

function read(): ShellConfig {
  const content = document.querySelector('meta[name="vox-admin"]')?.getAttribute('content');
  if (!content) throw new Error('the admin page has no vox-admin meta tag');
  return JSON.parse(content) as ShellConfig;
}

export const config: ShellConfig = read();
