// The demo chat: posts to /api/widget/messages and shows new messages as the live stream announces
// them (/api/widget/events); where EventSource is missing or the stream fails, it polls instead.
(() => {
  const chat = document.getElementById("chat");
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const words = chat.dataset;
  const POLL_MS = 1500;
  let last = 0;
  let source = null;
  let pollTimer = null;

  function show(message) {
    if (document.getElementById("m" + message.id)) return;
    const div = document.createElement("div");
    div.id = "m" + message.id;
    div.className = "msg " + message.author_kind;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = message.mine ? words.you : (message.author_name || words.siteName);
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
      li.append(link, " (" + Math.max(1, Math.round(item.size / 1024)) + " " + words.kb + ")");
      ul.append(li);
    }
    return ul;
  }

  async function fetchNew() {
    try {
      const response = await fetch("/api/widget/messages?after=" + last, {credentials: "same-origin"});
      if (!response.ok) return null;
      const data = await response.json();
      data.messages.forEach(show);
      return data;
    } catch (error) {
      return null; // offline for a moment: the stream's replay or the next poll catches up
    }
  }

  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(fetchNew, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function listen() {
    if (source) return;
    if (!window.EventSource) {
      chat.dataset.live = "polling";
      startPolling();
      return;
    }
    source = new EventSource("/api/widget/events");
    source.onopen = () => {
      stopPolling();
      chat.dataset.live = "stream";
      fetchNew();
    };
    source.onmessage = () => fetchNew();
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      source = null;
      chat.dataset.live = "polling";
      startPolling();
    };
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
    listen(); // the first message creates the conversation the stream follows
  });

  fetchNew().then((data) => {
    if (data && data.conversation_id) listen();
  });
})();
