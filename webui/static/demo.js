// The /demo chat page: posts to and polls the widget API. Strings come from data-* on #chat.
"use strict";
(() => {
  const chat = document.getElementById("chat");
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  let last = 0;
  function show(message) {
    if (document.getElementById("m" + message.id)) return;
    const div = document.createElement("div");
    div.id = "m" + message.id;
    div.className = "msg " + message.author_kind;
    const who = message.mine ? chat.dataset.you : (message.author_name || chat.dataset.siteName);
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = who;
    if (message.author_avatar) {
      const avatar = document.createElement("img");
      Object.assign(avatar, {src: message.author_avatar, alt: "", width: 24, height: 24, className: "avatar"});
      meta.prepend(avatar);
    }
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = message.text;
    div.append(meta, text, files(message.files || []));
    list.append(div);
    last = Math.max(last, message.id);
  }
  function files(items) {
    const ul = document.createElement("ul");
    ul.className = "files";
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "file";
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.name;
      link.className = "download";
      li.append(link, " (" + Math.max(1, Math.round(item.size / 1024)) + " " + chat.dataset.kb + ")");
      ul.append(li);
    }
    return ul;
  }
  async function poll() {
    try {
      const response = await fetch("/api/widget/messages?after=" + last, {credentials: "same-origin"});
      if (response.ok) (await response.json()).messages.forEach(show);
    } catch (error) { /* offline for a moment: the next poll catches up */ }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const id of ["email-error", "text-error"]) document.getElementById(id).textContent = "";
    const body = {text: form.text.value, name: form.name.value, email: form.email.value};
    const response = await fetch("/api/widget/messages", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      document.getElementById((data.field || "text") + "-error").textContent = data.error;
      return;
    }
    form.text.value = "";
    show(data.message);
  });
  poll();
  setInterval(poll, 1500);
})();
