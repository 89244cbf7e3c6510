// The call simulator page: sends each step to /simulator/step and writes the transcript.
// The server keeps no call: the signed state it returns travels with the next step.
"use strict";

(() => {
  const KEYS = "0123456789*#";
  const KEY_NAMES = { "*": "star", "#": "hash" };
  // A number spoken digit by digit: "0 8 0 0, 2 0 0 0".
  const NUMBER = /\p{Nd}(?:[\p{Nd} ,]*\p{Nd})?/gu;
  const stepUrl = document.body.dataset.stepUrl;
  const transcript = document.getElementById("transcript");
  const status = document.getElementById("status");
  const caller = document.getElementById("caller");
  const preset = document.getElementById("caller-preset");
  const callerErrorText = document.getElementById("caller-error");
  const words = document.getElementById("words");
  const callButton = document.getElementById("call");
  const answerControls = [...document.querySelectorAll(".key"), document.getElementById("silence"),
    document.getElementById("hangup"), document.getElementById("say")];

  let state = null;
  let listening = false;
  let ringing = false;
  // Steps run one after another: keys typed quickly wait for the answer to the previous one.
  let queue = Promise.resolve();

  function outcome() {
    return document.querySelector("input[name=outcome]:checked").value;
  }

  function line(className, label, text, event) {
    const item = document.createElement("li");
    item.className = "event " + className;
    if (label) {
      const who = document.createElement("span");
      who.className = "label";
      who.textContent = label;
      item.append(who);
    }
    if (text) {
      const body = document.createElement("p");
      body.className = "words";
      appendWords(body, text);
      // The direction comes from the language (the server knows it): "auto" would follow the first
      // letter, and a Persian line may begin with a Dutch name.
      body.dir = (event && event.dir) || "auto";
      if (event && event.lang) body.lang = event.lang;
      item.append(body);
    }
    transcript.append(item);
    // Only the transcript scrolls: the keypad stays where the tester's pointer is.
    transcript.scrollTop = transcript.scrollHeight;
    return item;
  }

  function appendWords(element, text) {
    // Numbers keep their digits left to right, as phone numbers are written in right-to-left text
    // too; otherwise each spaced digit would take the line's direction and the number would read backwards.
    let last = 0;
    for (const match of text.matchAll(NUMBER)) {
      const number = document.createElement("bdi");
      number.dir = "ltr";
      number.textContent = match[0];
      element.append(text.slice(last, match.index), number);
      last = match.index + match[0].length;
    }
    element.append(text.slice(last));
  }

  function spokenBy(who, event) {
    // The language's own name ("العربية"), not the voice code ("arb") a tester would have to look up.
    return who + (event.language ? " · " + event.language : "");
  }

  function listenButton(url) {
    // One small button instead of a full player: most lines are listened to once, if at all.
    const audio = document.createElement("audio");
    audio.preload = "none";
    audio.src = url;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "listen";
    button.textContent = "▶";
    button.setAttribute("aria-label", "Play the recording");
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => {
      if (audio.paused) {
        audio.currentTime = 0;
        audio.play().catch((error) => { status.textContent = "The recording could not be played: " + error.message; });
      } else {
        audio.pause();
      }
    });
    const playing = (on) => () => {
      button.textContent = on ? "■" : "▶";
      button.setAttribute("aria-pressed", String(on));
      button.setAttribute("aria-label", on ? "Stop the recording" : "Play the recording");
    };
    audio.addEventListener("playing", playing(true));
    for (const end of ["pause", "ended", "error"]) audio.addEventListener(end, playing(false));
    return [button, audio];
  }

  function show(event) {
    switch (event.kind) {
      case "say":
        line("say", spokenBy("Hotline", event), event.text, event);
        break;
      case "play": {
        const item = line("play", spokenBy("Recording", event),
          event.text || "(recorded audio; its words are not known)", event);
        if (event.url) item.querySelector(".label").append(" ", ...listenButton(event.url));
        break;
      }
      case "key":
        line("caller", "You pressed", KEY_NAMES[event.text] ? `${event.text} (${KEY_NAMES[event.text]})` : event.text);
        break;
      case "silence":
        line("caller", "You stayed silent", "");
        break;
      case "speech":
        line("caller", "You said", event.text, { dir: "auto" });
        break;
      case "dial":
        line("dial", "Transfer to", event.text);
        break;
      case "pause":
        line("quiet", `Pause of ${event.text} s`, "");
        break;
      case "redirect":
        line("quiet", "Next step: " + event.text, "");
        break;
      case "hangup":
        line("end", "The hotline hung up", "");
        break;
      default:
        line("error", "Error", event.text);
    }
  }

  function update() {
    const inCall = state !== null;
    callButton.setAttribute("aria-disabled", String(inCall || ringing));
    for (const control of answerControls) control.setAttribute("aria-disabled", String(!inCall));
    if (!listening) document.getElementById("say").setAttribute("aria-disabled", "true");
    if (ringing) status.textContent = "Calling…";
    else if (inCall) status.textContent = listening ? "The hotline waits for a key or for words." : "The hotline waits for a key.";
  }

  async function post(body) {
    transcript.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(stepUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({ error: `the server answered HTTP ${response.status}` }));
      if (!response.ok) {
        line("error", "Error", data.error || `HTTP ${response.status}`);
        return;
      }
      data.events.forEach(show);
      state = data.state;
      listening = data.listening_for_speech;
      if (data.ended) {
        line("end", "Call ended", data.ended);
        status.textContent = "Call ended: " + data.ended + ". Press Call to ring again.";
      }
    } catch (error) {
      line("error", "Error", "the server could not be reached: " + error.message);
    } finally {
      transcript.removeAttribute("aria-busy");
      ringing = false;
      update();
    }
  }

  function enqueue(makeBody) {
    // makeBody runs when the step's turn comes, with the state the previous step left.
    queue = queue.then(() => {
      const body = makeBody();
      return body && post(body);
    });
  }

  function startCall() {
    if (state !== null || ringing) return;
    if (!caller.checkValidity() || !caller.value) {
      callerError(caller.value
        ? `${caller.value} is not a number in international form: start with + and the country code, such as +31612345678, or type anonymous.`
        : "Enter the caller's number in international form, such as +31612345678.");
      caller.focus();
      return;
    }
    callerError("");
    ringing = true;
    transcript.replaceChildren();
    line("start", "Call from", caller.value, { dir: "ltr" });
    update();
    enqueue(() => ({ action: "call", caller: caller.value, outcome: outcome() }));
  }

  function callerError(message) {
    // Said next to the field, where the eye and a screen reader (aria-describedby) are, not only in the status line.
    callerErrorText.textContent = message;
    callerErrorText.hidden = !message;
    if (message) caller.setAttribute("aria-invalid", "true");
    else caller.removeAttribute("aria-invalid");
    status.textContent = message ? "Not in a call: the caller's number needs fixing." : status.textContent;
  }

  function answer(action, extra) {
    enqueue(() => (state === null ? null : { action, state, outcome: outcome(), ...extra }));
  }

  function pressKey(key) {
    const button = document.querySelector(`.key[data-key="${CSS.escape(key)}"]`);
    button.classList.add("pressed");
    setTimeout(() => button.classList.remove("pressed"), 150);
    if (state === null && !ringing) {
      status.textContent = "Not in a call: press Call first.";
      return;
    }
    answer("key", { key });
  }

  function isTextEntry(element) {
    if (element.isContentEditable || element.matches("textarea, select")) return true;
    return element.matches("input") && !["radio", "checkbox", "button", "submit"].includes(element.type);
  }

  callButton.addEventListener("click", startCall);
  document.getElementById("hangup").addEventListener("click", () => answer("hangup", {}));
  document.getElementById("silence").addEventListener("click", () => answer("silence", {}));
  document.getElementById("keypad").addEventListener("click", (event) => {
    const button = event.target.closest(".key");
    if (button) pressKey(button.dataset.key);
  });
  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const said = words.value.trim();
    if (!said || state === null) return;
    if (!listening) {
      status.textContent = "This prompt does not listen for speech: press a key.";
      return;
    }
    words.value = "";
    answer("say", { words: said });
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTextEntry(event.target)) return;
    if (event.key.length === 1 && KEYS.includes(event.key)) {
      event.preventDefault();
      pressKey(event.key);
    }
  });
  preset.addEventListener("change", () => {
    if (preset.value) caller.value = preset.value;
  });
  caller.addEventListener("input", () => {
    if (!callerErrorText.hidden && caller.checkValidity()) callerError("");
    const match = [...preset.options].find((option) => option.value === caller.value);
    preset.value = match ? match.value : "";
  });

  caller.dispatchEvent(new Event("input"));
  update();
})();
