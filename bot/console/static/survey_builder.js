// The survey builder without a round trip for one thing: the options box shows only for
// the choice kinds. Everything else (add, remove, move) is a submit button that works
// without this file.
"use strict";
const CHOICE_KINDS = ["single", "multi"];
function showOptions(item) {
  const select = item.querySelector("[data-kind-select]");
  if (!select) return;
  item.dataset.kind = select.value;
  item.classList.toggle("no-options", !CHOICE_KINDS.includes(select.value));
}
for (const item of document.querySelectorAll(".question-edit")) {
  showOptions(item);
  item.addEventListener("change", (event) => {
    if (event.target.matches("[data-kind-select]")) showOptions(item);
  });
}
