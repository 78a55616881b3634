// Client-side pages: "/" Generate, "/dashboard", "/mesh". The server answers each path with the
// same index.html (build.mjs writes one per page), so a reload or a bookmark lands on its page.

export type Page = 'generate' | 'dashboard' | 'mesh';

const kPaths: Record<Page, string> = { generate: '/', dashboard: '/dashboard', mesh: '/mesh' };
const kTitles: Record<Page, string> = {
  generate: 'Generate — ORFEAS',
  dashboard: 'Dashboard — ORFEAS',
  mesh: 'Mesh tools — ORFEAS',
};

export function pageOfPath(path: string): Page {
  const trimmed = path.replace(/\/+$/, '') || '/';
  if (trimmed === '/dashboard') return 'dashboard';
  if (trimmed === '/mesh') return 'mesh';
  return 'generate';
}

export function startRouter(onShow: (page: Page) => void): void {
  const show = (page: Page, focus: boolean) => {
    for (const section of document.querySelectorAll<HTMLElement>('main > section[data-page]'))
      section.hidden = section.dataset.page !== page;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = kTitles[page];
    if (focus) document.querySelector<HTMLElement>(`section[data-page="${page}"] h1`)?.focus();
    onShow(page);
  };

  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest<HTMLAnchorElement>('a[data-nav]');
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    const page = pageOfPath(new URL(link.href).pathname);
    if (window.location.pathname !== kPaths[page]) history.pushState({ page }, '', kPaths[page]);
    show(page, true);
  });
  window.addEventListener('popstate', () => show(pageOfPath(window.location.pathname), false));
  show(pageOfPath(window.location.pathname), false);
}
