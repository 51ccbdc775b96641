// Light touches only; every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // One tap sends once; the server's per-form nonce catches the rest.
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  if (button) setTimeout(() => { button.disabled = true; }, 0);
});
window.addEventListener("pageshow", () => {
  for (const form of document.forms) delete form.dataset.sent;
  for (const button of document.querySelectorAll("button[disabled]")) button.disabled = false;
});
// A print button (the bulletin's page): the browser's own print dialog, print CSS applies.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
// The check-in code, for projecting: asked for again every 30 s (it changes each minute).
for (const box of document.querySelectorAll("[data-code-url]")) {
  const every = (Number(box.dataset.refresh) || 30) * 1000;
  setInterval(async () => {
    try {
      const response = await fetch(box.dataset.codeUrl, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const kind = response.headers.get("content-type") || "";
      if (!response.ok || !kind.includes("json")) return;
      const data = await response.json();
      box.dataset.state = data.state;
      box.querySelector("[data-code]").textContent = data.code || "— — —";
      const note = box.querySelector("[data-code-note]");
      if (note) note.textContent = data.note;
    } catch (error) {
      // offline for a moment: the last code stays up, the next try may work
    }
  }, every);
}
