// Live updates for `tidemark ui` pages, with no framework and no build step: the server sends HTML fragments it
// rendered (and escaped) itself over server-sent events; each replaces the element with the same id, or is added to
// the list named by `parent`. What changed is said in the page's polite live region for screen readers.

(() => {
  const status = document.getElementById('live-status');
  const source = new EventSource('/events');
  source.addEventListener('fragment', (event) => {
    const update = JSON.parse(event.data);
    const current = document.getElementById(update.id);
    if (update.remove) {
      current?.remove();
    } else {
      const template = document.createElement('template');
      template.innerHTML = update.html;
      const next = template.content.firstElementChild;
      if (!next) return;
      if (current) current.replaceWith(next);
      else if (update.parent) document.getElementById(update.parent)?.append(next);
      else return;
    }
    if (update.announce && status) status.textContent = update.announce;
    document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates ?? 0) + 1);
  });
})();
