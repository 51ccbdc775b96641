// Broadcasts: the audience's count as roles are ticked, and the live progress bar.
// Both pages work without this file (the 预览 button; a refresh link).
"use strict";
async function askJson(url) {
  const response = await fetch(url, {
    credentials: "same-origin", headers: { Accept: "application/json" },
  });
  const kind = response.headers.get("content-type") || "";
  if (!kind.includes("json")) return null; // e.g. the login page after the session ended
  return response.json();
}
for (const box of document.querySelectorAll("[data-audience-url]")) {
  const reach = box.querySelector("#reach");
  const button = box.querySelector("#preview-button");
  if (button) button.hidden = true; // the count follows the ticks instead
  let asked = 0;
  box.addEventListener("change", async () => {
    const query = new URLSearchParams();
    for (const tick of box.querySelectorAll("input[name=roles]:checked")) query.append("roles", tick.value);
    const mine = ++asked;
    try {
      const data = await askJson(`${box.dataset.audienceUrl}?${query}`);
      if (data && mine === asked) reach.textContent = data.text || data.error || "";
    } catch (error) {
      // offline for a moment: the server counts again when the form is sent
    }
  });
}
for (const box of document.querySelectorAll("[data-progress-url][data-live='1']")) {
  const bar = box.querySelector("#progress-bar");
  const label = box.querySelector("#progress-label");
  const status = document.getElementById("status");
  const every = Number(box.dataset.poll) || 1000;
  const timer = setInterval(async () => {
    let data;
    try {
      data = await askJson(box.dataset.progressUrl);
    } catch (error) {
      return; // the next second may work
    }
    if (!data || data.error) return;
    bar.max = data.total;
    bar.value = data.done;
    bar.textContent = `${data.percent}%`;
    label.textContent = data.label;
    for (const name of ["sent", "blocked", "failed", "queued"]) {
      const figure = box.querySelector(`[data-figure=${name}]`);
      if (figure) figure.textContent = data[name];
    }
    if (status) {
      status.textContent = data.status_label;
      status.classList.toggle("warn", data.status === "sending");
    }
    const cancel = document.getElementById("cancel-broadcast");
    if (cancel && !data.cancellable) cancel.hidden = true;
    if (data.finished || !data.live) {
      clearInterval(timer);
      box.dataset.live = "0";
      box.dataset.finished = data.finished ? "1" : "0";
      const done = box.querySelector("#report-done");
      if (done && data.finished) done.hidden = false;
    }
  }, every);
}
