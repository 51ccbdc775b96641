// Massline web chat. The server owns the conversation; this page only shows it.
// Every visible word of the page chrome comes from the API (strings), so "/lang en" can
// switch it. Message text is only ever set with textContent, never parsed as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log"), scroller = $("scroll"), input = $("input"), typing = $("typing");
  const offline = $("offline"), form = $("composer");
  const STORE = "massline.chat.v1";
  const KEEP = 200; // bubbles kept across reloads
  const POLL = 4000, POLL_MAX = 60000;

  // saved = {items: [{who: "bot"|"me", r: reply, used?, failed?}], mail: last mail id,
  //          lang, strings}. Strings are kept too, so the chrome has words before hello answers.
  const saved = load();
  let strings = saved.strings || {};
  let picker = null; // the demo persona card, while this browser is a stranger
  let queue = Promise.resolve(); // sends go one at a time, in the order they were made
  let waiting = 0;
  let delay = POLL;

  function load() {
    try {
      const data = JSON.parse(localStorage.getItem(STORE));
      if (data && Array.isArray(data.items)) return data;
    } catch (e) { /* unreadable: start afresh */ }
    return { items: [], mail: 0 };
  }

  function persist() {
    saved.items = saved.items.slice(-KEEP);
    // Images and files arrive as data: URLs and can fill the storage quota;
    // then drop the oldest half until the rest fits.
    for (;;) {
      try { localStorage.setItem(STORE, JSON.stringify(saved)); return; } catch (e) {
        if (!saved.items.length) return;
        saved.items = saved.items.slice(Math.ceil(saved.items.length / 2));
      }
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function chrome(body) {
    if (body.lang) document.documentElement.lang = saved.lang = body.lang;
    if (!body.strings) return;
    strings = saved.strings = body.strings;
    document.title = strings.title;
    for (const id of ["title", "send", "menu", "reset", "offline"]) $(id).textContent = strings[id];
    input.placeholder = strings.placeholder;
    input.setAttribute("aria-label", strings.placeholder);
    document.querySelectorAll(".avatar.me").forEach((a) => { a.textContent = strings.you; });
    if (picker) {
      picker.querySelector(".card-title").textContent = strings.demo_title;
      picker.querySelector(".card-hint").textContent = strings.demo_hint;
    }
  }

  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  function render(item) {
    const row = el("div", "row " + item.who + (item.failed ? " failed" : ""));
    if (item.ref) row.dataset.ref = item.ref;
    const avatar = el("div", "avatar " + item.who, item.who === "me" ? strings.you : null);
    avatar.setAttribute("aria-hidden", "true");
    const bubble = el("div", "bubble");
    const r = item.r;
    if (r.type === "image") {
      const img = el("img");
      img.alt = r.caption || "";
      img.addEventListener("load", scrollDown); // its height is known only now
      img.src = r.src;
      bubble.append(img);
    } else if (r.type === "file") {
      const link = el("a", "file", r.name);
      Object.assign(link, { href: r.href, download: r.name });
      bubble.append(link);
    }
    const text = r.type === "text" ? r.text : r.caption;
    if (text) bubble.append(el("div", "text", text));
    if (r.buttons && r.buttons.length) bubble.append(buttons(item, r.buttons));
    row.append(avatar, bubble);
    log.insertBefore(row, picker); // the demo card stays last while it is shown
    scrollDown();
    return row;
  }

  function add(item) {
    saved.items.push(item);
    persist();
    return render(item);
  }

  function buttons(item, rows) {
    const box = el("div", "buttons");
    for (const row of rows) {
      const line = el("div", "button-row");
      for (const spec of row) {
        const button = el("button", "chip", spec.label);
        button.type = "button";
        if (spec.url) {
          button.classList.add("link"); // a link can be opened again; it changes nothing
          button.addEventListener("click", () => openUrl(spec.url));
        } else {
          button.disabled = Boolean(item.used);
          button.addEventListener("click", () => {
            // One tap per set: a second tap would answer the same question twice.
            item.used = true;
            box.querySelectorAll(".chip:not(.link)").forEach((b) => { b.disabled = true; });
            persist();
            send({ payload: spec.payload }, spec.label);
          });
        }
        line.append(button);
      }
      box.append(line);
    }
    return box;
  }

  function openUrl(url) {
    if (/^https?:\/\//i.test(url)) window.open(url, "_blank", "noopener");
  }

  function setOffline(on) { offline.hidden = !on; }
  function showTyping(change) {
    waiting += change;
    typing.hidden = waiting === 0;
    scrollDown();
  }

  async function call(url, options) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    if (!response.ok) throw new Error("HTTP " + response.status);
    setOffline(false);
    return response.json();
  }

  // The server's answer to hello or send: new chrome words, membership, bot bubbles.
  function receive(body) {
    chrome(body);
    if (body.member && picker) { picker.remove(); picker = null; }
    for (const r of body.replies || []) {
      if (r.type === "forget") forget(r.refs); else add({ who: "bot", r });
    }
  }

  // The server asks that the member's own messages carrying anonymous text not stay
  // on this device: drop them from the screen and from the stored history.
  function forget(refs) {
    const gone = new Set(refs);
    saved.items = saved.items.filter((item) => !gone.has(item.ref));
    persist();
    log.querySelectorAll(".row.me").forEach((row) => {
      if (gone.has(row.dataset.ref)) row.remove();
    });
  }

  // Send text or a button payload; `echo` is what the member's own bubble shows.
  function send(body, echo) {
    body.ref = "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const item = echo ? { who: "me", ref: body.ref, r: { type: "text", text: echo } } : null;
    const mine = item ? add(item) : null;
    queue = queue.then(async () => {
      showTyping(1);
      try {
        receive(await call("/api/chat/send", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        }));
      } catch (e) {
        setOffline(true);
        if (mine) { mine.classList.add("failed"); item.failed = true; persist(); }
      } finally {
        showTyping(-1);
      }
    });
    return queue;
  }

  function showPicker(demo) {
    picker = el("section", "card demo");
    const list = el("div", "buttons");
    for (const persona of demo) {
      const button = el("button", "chip", persona.label);
      button.type = "button";
      button.addEventListener("click", async () => {
        list.querySelectorAll("button").forEach((b) => { b.disabled = true; });
        await send({ text: "/start " + persona.code }, "/start " + persona.code);
        // Still a stranger (the code failed)? Let them pick again.
        list.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      });
      list.append(button);
    }
    picker.append(el("div", "card-title", strings.demo_title), list,
      el("div", "card-hint", strings.demo_hint));
    log.append(picker);
    scrollDown();
  }

  // Pushed messages (reminders, replies to opinions) wait in a mailbox on the server.
  async function poll() {
    try {
      const body = await call("/api/chat/updates?after=" + (saved.mail || 0));
      for (const mail of body.mail || []) {
        for (const r of mail.replies) add({ who: "bot", r });
        saved.mail = Math.max(saved.mail || 0, mail.id);
      }
      if (body.mail && body.mail.length) persist();
      delay = POLL;
    } catch (e) {
      setOffline(true);
      delay = Math.min(delay * 2, POLL_MAX); // back off while the server is away
    }
    setTimeout(poll, document.hidden ? Math.max(delay, 15000) : delay);
  }

  async function start() {
    chrome(saved);
    saved.items.forEach(render);
    let hello = null;
    for (let wait = 2000; !hello; wait = Math.min(wait * 2, POLL_MAX)) {
      try { hello = await call("/api/chat/hello"); } catch (e) {
        setOffline(true);
        await new Promise((done) => setTimeout(done, wait));
      }
    }
    // The greeting opens a conversation; a restored conversation does not need it again.
    if (saved.items.length) chrome(hello); else receive(hello);
    if (hello.demo && hello.demo.length && !hello.member) showPicker(hello.demo);
    // An invite link (/?join=CODE) joins once: drop the code from the address first,
    // so a reload or a bookmark does not send it again.
    const url = new URL(location.href);
    const code = url.searchParams.get("join");
    if (code) {
      url.searchParams.delete("join");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
      send({ text: "/start " + code }, "/start " + code);
    }
    setTimeout(poll, POLL);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    grow();
    send({ text }, text);
    input.focus();
  });

  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line. Not while an IME is composing: there Enter
    // picks the pinyin candidate (keyCode 229 covers browsers without isComposing).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function grow() { // the text field grows with its text, up to five lines
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", grow);

  $("menu").addEventListener("click", () => send({ payload: "cmd:help" }, strings.menu));

  $("reset").addEventListener("click", async () => {
    if (!window.confirm(strings.reset_confirm)) return;
    try { await call("/api/chat/reset", { method: "POST" }); } catch (e) { setOffline(true); return; }
    localStorage.removeItem(STORE);
    location.reload();
  });

  start();
})();
