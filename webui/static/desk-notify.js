// Notifications for the operator: a native browser notification and a short sound for a new visitor
// message in a dialog that is theirs, or nobody's yet. Switched on the profile page; the settings
// come from data-* attributes of #live-settings. Clicking the notification opens the dialog.
(() => {
  const settings = document.getElementById("live-settings");
  if (!settings) return;
  const me = Number(settings.dataset.operator);
  const wantsSound = settings.dataset.sound === "1";
  const wantsBrowser = settings.dataset.browser === "1" && "Notification" in window;
  let audio = null;

  if (wantsBrowser && Notification.permission === "default") {
    // Browsers only ask after the user has done something on the page.
    document.addEventListener("click", () => Notification.requestPermission(), {once: true});
  }

  function forMe(event) {
    return event.type === "message_posted" && event.author_kind === "visitor" && !event.automatic
      && !event.is_note && (event.assignee_id === null || event.assignee_id === me);
  }

  function alreadyLooking(event) {
    return document.visibilityState === "visible" && location.pathname === "/inbox/" + event.conversation_id;
  }

  function beep() {
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.15, audio.currentTime);
      volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      tone.connect(volume).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
      settings.dataset.sounds = String(Number(settings.dataset.sounds || 0) + 1);
    } catch (error) {
      /* no audio here: the notification is enough */
    }
  }

  function show(event) {
    const url = "/inbox/" + event.conversation_id;
    const note = new Notification(settings.dataset.title, {
      body: settings.dataset.body.replace("%(id)s", event.conversation_id),
      tag: "relaydesk-" + event.conversation_id,
    });
    note.onclick = () => {
      window.focus();
      location.assign(url);
      note.close();
    };
  }

  document.addEventListener("relaydesk:event", ({detail}) => {
    if (!forMe(detail) || alreadyLooking(detail)) return;
    if (wantsSound) beep();
    if (wantsBrowser && Notification.permission === "granted") show(detail);
  });
})();
