// Relaydesk's chat widget: the one script a site pastes,
//   <script src="BASE_URL/widget.js" async></script>
// optionally with data-mode="visible|when_conversation|hidden", data-user-id and data-user-hash, data-open.
// It lives in a shadow root (the site's CSS cannot reach it, its CSS cannot reach the site), keeps the
// visitor's signed id in the site's own localStorage, and talks to the desk's /api/widget/* over CORS
// without cookies. Every word it shows comes from /api/widget/config, translated by the desk.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.relaydeskWidget) return;
  const base = new URL(script.src, location.href).origin;
  const opts = script.dataset;
  const KEY = "relaydesk:" + base;
  const EMOJI = "😀 😂 😊 😍 🤔 😢 😮 👍 👎 🙏 👋 🎉 ❤️ 🔥 ✅ ❌ ⭐ 📦 💳 🕒".split(" ");
  const POLL_MS = 1500;
  const CSS = `
:host{all:initial}
[hidden]{display:none!important}
*{box-sizing:border-box;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#1f5fbf;
color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:grid;place-items:center}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#d93025;color:#fff;
font-size:12px;line-height:20px;padding:0 5px}
button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
#chat{position:fixed;right:20px;bottom:88px;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 110px);
background:#fff;color:#1d2330;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:flex;flex-direction:column;
overflow:hidden;z-index:2147483001}

header{display:flex;align-items:center;justify-content:space-between;background:#1f5fbf;color:#fff;padding:10px 14px}
h2{margin:0;font-size:16px;font-weight:600;color:inherit}
.close{background:none;border:0;color:#fff;font-size:24px;line-height:1;cursor:pointer;padding:2px 8px;border-radius:6px}
.hours{margin:0;padding:8px 14px;background:#fff4d6;color:#5c4400;font-size:13px}
#messages{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f5f7fb}
.msg{max-width:85%;padding:7px 10px;border-radius:10px;background:#fff;border:1px solid #e1e5ee;align-self:flex-start}
.msg.visitor{align-self:flex-end;background:#dbe8ff;border-color:#c3d6fb}
.msg.autoreply,.msg.system{background:#f0f0f0;font-style:italic}
.meta{display:flex;align-items:center;gap:6px;font-size:12px;font-weight:600;color:#4a5568}
.avatar{width:24px;height:24px;border-radius:50%;object-fit:cover}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
time{display:block;font-size:11px;color:#6b7280;text-align:right}
.files{list-style:none;margin:4px 0 0;padding:0}
.files a{color:#1a4fa0}
form{border-top:1px solid #e1e5ee;padding:8px 10px;display:flex;flex-direction:column;gap:6px;background:#fff}
.who p{margin:0 0 4px;font-size:13px}
label{display:block;font-size:12px;color:#4a5568}
input[type=text],input[type=email],textarea{display:block;width:100%;border:1px solid #b8c0cc;border-radius:6px;padding:6px 8px;
color:#1d2330;background:#fff}
.row{display:flex;gap:6px;align-items:flex-end}
textarea{resize:none;height:52px}
.icon{background:#eef2f8;border:1px solid #c9d1de;border-radius:6px;width:36px;height:36px;cursor:pointer;padding:6px;color:#44506a}
.icon svg{width:22px;height:22px;fill:currentColor}
#send{background:#1f5fbf;color:#fff;border:0;border-radius:6px;height:36px;padding:0 14px;cursor:pointer;font-weight:600}
#send:disabled{opacity:.6}
.error{color:#b3261e;font-size:12px}
.error:empty,.chosen:empty{display:none}
.chosen{font-size:12px;color:#4a5568}
#emoji-list{display:flex;flex-wrap:wrap;gap:2px}
#emoji-list[hidden]{display:none}
#emoji-list button{background:none;border:0;font-size:20px;cursor:pointer;border-radius:4px;padding:2px 4px}
@media (max-width:480px){#chat{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}`;
  const svg = (path) => '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="' + path + '"/></svg>';
  const ICON = svg("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  const SMILE = svg("M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zM8.5 11a1.5 1.5 0 1 0 0-3 " +
    "1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5c2.3 0 4.3-1.4 5-3.5H7c.7 2.1 2.7 3.5 5 3.5z");
  const CLIP = svg("M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 " +
    "0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z");

  let cfg = null;
  let t = {};
  let mode = "visible";
  let last = 0;
  let source = null;
  let pollTimer = null;
  let unread = 0;
  let saved = {};
  const nodes = {};

  try { saved = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { saved = {}; }
  const remember = (changes) => {
    Object.assign(saved, changes);
    try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* storage off: this page only */ }
  };
  const api = (path) => base + "/api/widget/" + path;
  const absolute = (url) => new URL(url, base).href;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (value !== false && value != null) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  }

  function query(extra) {
    const params = new URLSearchParams({visitor: saved.visitor || "", ...extra});
    return params.toString();
  }

  async function start() {
    document.body.append(host);
    const lang = document.documentElement.lang || navigator.language || "";
    const ids = opts.userId ? {user_id: opts.userId, user_hash: opts.userHash || ""} : {};
    let response;
    try {
      response = await fetch(api("config?") + query({lang, ...ids}), {credentials: "omit"});
    } catch (e) {
      return refuse("unreachable");
    }
    if (!response.ok) return refuse(response.status === 403 ? "refused" : "unavailable");
    cfg = await response.json();
    t = cfg.texts;
    remember({visitor: cfg.visitor});
    mode = ["visible", "when_conversation", "hidden"].includes(opts.mode) ? opts.mode : cfg.mode;
    build();
    host.dataset.state = "ready";
    const wantsOpen = opts.open !== undefined || saved.open || (mode === "hidden" && cfg.unseen > 0);
    if (mode === "visible" || (mode === "when_conversation" && cfg.conversation)) showLauncher();
    if (cfg.unseen) badge(cfg.unseen);
    if (wantsOpen) open(false);
    recordPageView().then(listen);
  }

  function refuse(why) {
    host.dataset.state = why;
    if (why === "refused") console.warn("Relaydesk: the desk refused this page (origin or user hash).");
  }

  function recordPageView() {
    const body = {visitor: saved.visitor, url: location.href, title: document.title, referrer: document.referrer};
    return post("pageviews", body).catch(() => null);
  }

  function post(path, body) {
    const form = body instanceof FormData;
    return fetch(api(path), {
      method: "POST", credentials: "omit", body: form ? body : JSON.stringify(body),
      headers: form ? {} : {"Content-Type": "application/json"},
    });
  }

  // The shadow root: built once the config has the words.
  const host = el("div", {id: "relaydesk-widget"});
  const root = host.attachShadow({mode: "open"});

  function build() {
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // a constructed sheet: allowed under a page's strict style-src too
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(el("style", {text: CSS}));
    }
    nodes.launcher = el("button", {class: "launcher", type: "button", "aria-label": t.open, "aria-expanded": "false",
      "aria-controls": "chat", hidden: true});
    nodes.launcher.innerHTML = ICON;
    nodes.badge = el("span", {class: "badge", hidden: true});
    nodes.launcher.append(nodes.badge);
    nodes.messages = el("div", {id: "messages", role: "log", "aria-live": "polite", "aria-label": t.messages});
    nodes.close = el("button", {class: "close", type: "button", "aria-label": t.close, text: "×"});
    const header = el("header", {}, el("h2", {id: "chat-title", text: t.title}), nodes.close);
    const hours = el("p", {class: "hours", text: cfg.hours_note, hidden: !cfg.hours_note});
    nodes.panel = el("section", {id: "chat", role: "dialog", "aria-labelledby": "chat-title", hidden: true},
      header, hours, nodes.messages, buildForm());
    root.append(nodes.launcher, nodes.panel);
    nodes.launcher.addEventListener("click", () => (nodes.panel.hidden ? open(true) : close()));
    nodes.close.addEventListener("click", close);
    nodes.panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      if (!nodes.emojiList.hidden) { nodes.emojiList.hidden = true; nodes.emoji.focus(); }
      else close();
    });
  }

  function buildForm() {
    const f = nodes;
    f.name = el("input", {type: "text", id: "name", name: "name", autocomplete: "name", maxlength: 200});
    f.email = el("input", {type: "email", id: "email", name: "email", autocomplete: "email", maxlength: 320});
    f.emailError = el("div", {class: "error", id: "email-error", role: "alert"});
    f.nameLabel = el("label", {}, t.name, f.name);
    f.emailLabel = el("label", {}, t.email, f.email);
    f.who = el("div", {class: "who"}, el("p", {text: t.ask_email}), f.nameLabel, f.emailLabel, f.emailError);
    f.text = el("textarea", {id: "text", name: "text", "aria-label": t.message, placeholder: t.placeholder,
      maxlength: 10000});
    f.emoji = el("button", {type: "button", class: "icon", id: "emoji", "aria-label": t.emoji,
      "aria-expanded": "false", "aria-controls": "emoji-list"});
    f.emoji.innerHTML = SMILE;
    f.file = el("input", {type: "file", id: "file", multiple: true, hidden: true, tabindex: "-1"});
    f.attach = el("button", {type: "button", class: "icon", id: "attach", "aria-label": t.attach});
    f.attach.innerHTML = CLIP;
    f.send = el("button", {type: "submit", id: "send", text: t.send});
    f.chosen = el("div", {class: "chosen", id: "chosen", "aria-live": "polite"});
    f.textError = el("div", {class: "error", id: "text-error", role: "alert"});
    f.emojiList = el("div", {id: "emoji-list", role: "group", "aria-label": t.emoji, hidden: true},
      ...EMOJI.map((e) => el("button", {type: "button", text: e, "aria-label": e})));
    const form = el("form", {id: "chat-form", novalidate: true}, f.who,
      el("div", {class: "row"}, f.text, f.emoji, f.attach, f.send), f.emojiList, f.file, f.chosen, f.textError);
    askWho();
    f.emoji.addEventListener("click", () => {
      f.emojiList.hidden = !f.emojiList.hidden;
      f.emoji.setAttribute("aria-expanded", String(!f.emojiList.hidden));
      if (!f.emojiList.hidden) f.emojiList.querySelector("button").focus();
    });
    f.emojiList.addEventListener("click", (event) => {
      if (event.target.tagName === "BUTTON") insert(event.target.textContent);
    });
    f.attach.addEventListener("click", () => f.file.click());
    f.file.addEventListener("change", chooseFiles);
    f.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
    return form;
  }

  function askWho() {
    nodes.nameLabel.hidden = cfg.name_known;
    nodes.emailLabel.hidden = cfg.email_known;
    nodes.who.hidden = cfg.name_known && cfg.email_known;
  }

  function insert(text) {
    const area = nodes.text;
    const at = area.selectionStart ?? area.value.length;
    area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd ?? at);
    area.focus();
    area.selectionStart = area.selectionEnd = at + text.length;
  }

  function chooseFiles() {
    const files = [...nodes.file.files];
    const big = files.find((file) => file.size > cfg.max_file_size);
    nodes.textError.textContent = big ? big.name + ": " + t.too_large : "";
    if (big) nodes.file.value = "";
    nodes.chosen.textContent = big ? "" : files.map((file) => file.name).join(", ");
  }

  function showLauncher() {
    nodes.launcher.hidden = false;
  }

  function badge(count) {
    unread = count;
    nodes.badge.textContent = count ? String(count) : "";
    nodes.badge.hidden = !count;
    nodes.launcher.setAttribute("aria-label", count ? t.open + " (" + t.unread + ": " + count + ")" : t.open);
  }

  function open(focus) {
    if (mode !== "hidden") showLauncher();
    nodes.panel.hidden = false;
    nodes.launcher.setAttribute("aria-expanded", "true");
    remember({open: true});
    badge(0);
    fetchNew();
    if (focus) (nodes.who.hidden || cfg.name_known ? nodes.text : nodes.name).focus();
    if (!source && !window.EventSource) startPolling();
  }

  function close() {
    nodes.panel.hidden = true;
    nodes.launcher.setAttribute("aria-expanded", "false");
    remember({open: false});
    stopPolling();
    if (!nodes.launcher.hidden) nodes.launcher.focus();
  }

  function attention() {
    // A reply while the panel is closed: hidden mode opens the panel, the others show a badge.
    if (!nodes.panel.hidden) return fetchNew();
    if (mode === "hidden") return open(false);
    showLauncher();
    badge(unread + 1);
  }

  function when(iso) {
    const date = new Date(iso);
    const lang = cfg.language;
    const time = date.toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"});
    if (date.toDateString() === new Date().toDateString()) return time;
    return date.toLocaleDateString(lang, {day: "numeric", month: "short"}) + " " + time;
  }

  function show(message) {
    if (nodes.messages.querySelector('[data-id="' + message.id + '"]')) return;
    const who = message.mine ? t.you : (message.author_name || cfg.site_name || t.support);
    const meta = el("div", {class: "meta"}, el("span", {class: "who", text: who}));
    if (message.author_avatar) {
      meta.prepend(el("img", {class: "avatar", src: absolute(message.author_avatar), alt: "", width: 24, height: 24}));
    }
    const files = el("ul", {class: "files"}, ...(message.files || []).map((file) => el("li", {class: "file"},
      el("a", {class: "download", href: absolute(file.url), target: "_blank", rel: "noopener", text: file.name}),
      " (" + Math.max(1, Math.round(file.size / 1024)) + " " + t.kb + ")")));
    const node = el("div", {class: "msg " + message.author_kind, "data-id": message.id}, meta,
      el("div", {class: "text", text: message.text}), files,
      el("time", {datetime: message.created_at, text: when(message.created_at)}));
    nodes.messages.append(node);
    nodes.messages.scrollTop = nodes.messages.scrollHeight;
    last = Math.max(last, message.id);
  }

  async function fetchNew() {
    try {
      const response = await fetch(api("messages?") + query({after: last}), {credentials: "omit"});
      if (!response.ok) return null;
      const data = await response.json();
      data.messages.forEach(show);
      return data;
    } catch (error) {
      return null; // offline for a moment: the stream's replay or the next poll catches up
    }
  }

  function startPolling() {
    nodes.panel.dataset.live = "polling";
    if (!pollTimer) pollTimer = setInterval(fetchNew, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function listen() {
    if (source) return;
    if (!window.EventSource) {
      if (!nodes.panel.hidden) startPolling();
      return;
    }
    source = new EventSource(api("events?") + query({}));
    source.onopen = () => {
      stopPolling();
      nodes.panel.dataset.live = "stream";
      if (!nodes.panel.hidden) fetchNew();
    };
    source.onmessage = (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (e) { /* a message we do not know: fetch anyway */ }
      if (data.author_kind === "visitor") return fetchNew();
      attention();
    };
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      source = null; // no dialog yet, or the desk is away: try again later, poll while the panel is open
      if (!nodes.panel.hidden) startPolling();
      setTimeout(listen, 20000);
    };
  }

  async function send() {
    const f = nodes;
    f.emailError.textContent = f.textError.textContent = "";
    const text = f.text.value.trim();
    const email = f.email.value.trim();
    if (email && !/^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+$/.test(email)) {
      f.emailError.textContent = t.email_invalid;
      return f.email.focus();
    }
    const files = [...f.file.files];
    if (!text && !files.length) return f.text.focus();
    const fields = {text, name: f.name.value.trim(), email, visitor: saved.visitor || "",
      user_id: opts.userId || "", user_hash: opts.userHash || ""};
    let body = fields;
    if (files.length) {
      body = new FormData();
      for (const [key, value] of Object.entries(fields)) body.append(key, value);
      for (const file of files) body.append("files", file);
    }
    f.send.disabled = true;
    try {
      const response = await post("messages", body);
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const field = data.field === "email" ? f.emailError : f.textError;
        field.textContent = data.field === "email" ? t.email_invalid : (data.error || t.failed);
        return;
      }
      remember({visitor: data.visitor});
      f.text.value = f.file.value = f.chosen.textContent = "";
      if (fields.name) cfg.name_known = true;
      if (email) cfg.email_known = true;
      askWho();
      show(data.message);
      cfg.conversation = true;
      listen(); // the first message creates the conversation the stream follows
    } catch (error) {
      f.textError.textContent = t.failed;
    } finally {
      f.send.disabled = false;
    }
  }

  window.relaydeskWidget = {open: () => nodes.panel && open(true), close: () => nodes.panel && close()};
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
