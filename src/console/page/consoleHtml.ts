/**
 * The console's one HTML page: every route serves it, and the script renders the page the
 * path names. Plain HTML, no framework; the script and the stylesheet are served beside it.
 */

/** The page's HTML. */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sagaflow console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script type="module" src="/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <p class="brand"><a href="/">sagaflow console</a> <span id="store" class="muted"></span></p>
  <nav aria-label="Pages">
    <ul>
      <li><a href="/" data-nav="list">Sagas</a></li>
      <li><a href="/attention" data-nav="attention">Needs attention</a></li>
      <li><a href="/verify" data-nav="verify">Verify</a></li>
    </ul>
  </nav>
  <form id="token-form" class="token">
    <label for="token">Operator token</label>
    <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" size="24">
    <button type="submit">Use token</button>
    <span id="token-state" role="status"></span>
  </form>
</header>
<main id="main" tabindex="-1">
  <p>Loading…</p>
  <noscript><p>The console needs JavaScript for its pages; the JSON API under /api works without it.</p></noscript>
</main>
<footer>
  <p id="live-state" class="muted">Live updates: connecting…</p>
  <p id="announce" class="visually-hidden" role="status" aria-live="polite"></p>
</footer>
</body>
</html>
`;
