/** The console's stylesheet: plain, readable, system colours, visible focus. */

/** The stylesheet's text. */
export const CONSOLE_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.4; }
body { margin: 0 auto; max-width: 80rem; padding: 0 1rem 2rem; }
header { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center; border-bottom: 1px solid GrayText; padding: 0.5rem 0; }
header nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header nav a[aria-current="page"] { font-weight: bold; }
.brand { margin: 0; font-weight: bold; }
.token { margin-left: auto; display: flex; gap: 0.4rem; align-items: center; }
.muted { color: GrayText; font-weight: normal; }
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 3px solid Highlight; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.25rem 0.5rem; border-bottom: 1px solid color-mix(in srgb, GrayText 40%, transparent); }
.nowrap { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0; }
.status { display: inline-block; padding: 0 0.4rem; border: 1px solid currentColor; border-radius: 0.3rem; font-size: 0.85em; }
.status-completed { color: #1a7f37; }
.status-compensated { color: #9a6700; }
.status-failed, .status-unreadable, .broken { color: #cf222e; }
.status-running, .status-compensating { color: #0969da; }
tr.fresh { background: color-mix(in srgb, Highlight 15%, transparent); }
tr.selected { outline: 2px solid Highlight; }
.panel { border: 1px solid color-mix(in srgb, GrayText 50%, transparent); border-radius: 0.4rem; padding: 0.5rem 1rem; margin: 0.5rem 0 1rem; }
.slider { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.slider input[type="range"] { flex: 1 1 20rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
form.filters, form.inline { display: flex; gap: 0.75rem; align-items: end; flex-wrap: wrap; margin: 0.5rem 0; }
form.filters label, form.inline label { display: flex; flex-direction: column; font-size: 0.9em; }
.error { color: #cf222e; }
`;
