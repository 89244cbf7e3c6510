// The recording studio: record a text with the microphone (or choose a file), listen, keep.
//
// The page records 16-bit PCM WAV through the Web Audio API rather than with MediaRecorder: browsers'
// MediaRecorder makes WebM or Ogg with the Opus codec, which the server's sox cannot read.
"use strict";

(() => {
  const page = document.body.dataset;
  const RATE = 16000; // enough for a telephone's 8 kHz, and a third of the upload of 48 kHz
  let recording = null; // {row, stop()} while the microphone is on

  function say(row, text, problem = false) {
    const status = row.querySelector(".status");
    status.textContent = text;
    status.classList.toggle("problem", problem);
    status.setAttribute("role", problem ? "alert" : "status");
  }

  function show(element, visible) {
    element.hidden = !visible;
  }

  function wav(chunks, rate) {
    const length = chunks.reduce((total, chunk) => total + chunk.length, 0);
    const view = new DataView(new ArrayBuffer(44 + 2 * length));
    const text = (offset, value) => [...value].forEach((ch, i) => view.setUint8(offset + i, ch.charCodeAt(0)));
    text(0, "RIFF"); view.setUint32(4, 36 + 2 * length, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, 2 * rate, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, "data"); view.setUint32(40, 2 * length, true);
    let offset = 44;
    for (const chunk of chunks) {
      for (const sample of chunk) {
        const s = Math.max(-1, Math.min(1, sample));
        view.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
        offset += 2;
      }
    }
    return new Blob([view.buffer], {type: "audio/wav"});
  }

  async function microphone() {
    if (!navigator.mediaDevices || !window.AudioWorkletNode) {
      throw new Error("this browser records only on pages opened with https:// (or on the server itself). Choose a file instead");
    }
    // The voice as it is: the server evens out the loudness and cuts the quiet at both ends.
    const stream = await navigator.mediaDevices.getUserMedia(
      {audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
    let context;
    try {
      context = new AudioContext({sampleRate: RATE});
    } catch (error) {
      context = new AudioContext();
    }
    await context.audioWorklet.addModule(page.captureUrl);
    const source = context.createMediaStreamSource(stream);
    const tap = new AudioWorkletNode(context, "studio-capture");
    const chunks = [];
    tap.port.onmessage = (event) => chunks.push(event.data);
    source.connect(tap);
    tap.connect(context.destination); // it plays nothing: connected, it keeps running
    return async () => {
      source.disconnect();
      tap.disconnect();
      stream.getTracks().forEach((track) => track.stop());
      const rate = context.sampleRate;
      await context.close();
      return wav(chunks, rate);
    };
  }

  function take(row, blob, name, message) {
    row.take = {blob, name};
    const player = row.querySelector(".take");
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(blob);
    show(player, true);
    show(row.querySelector(".keep"), true);
    say(row, message);
  }

  async function record(row) {
    if (recording) {
      say(row, "Another text is being recorded: press Stop there first.", true);
      return;
    }
    const button = row.querySelector(".record");
    button.setAttribute("aria-disabled", "true");
    say(row, "Starting the microphone…");
    try {
      const stop = await microphone();
      const limit = setTimeout(() => finish(row, true), Number(page.maxSeconds) * 1000);
      recording = {row, stop, limit};
    } catch (error) {
      button.removeAttribute("aria-disabled");
      say(row, `The microphone cannot be used: ${error.message}. Allow this page to use the microphone (the icon in the address bar), or choose a file instead.`, true);
      return;
    }
    show(button, false);
    const stopButton = row.querySelector(".stop");
    show(stopButton, true);
    stopButton.focus();
    say(row, "Recording: read the sentence aloud, then press Stop.");
  }

  async function finish(row, timedOut = false) {
    if (!recording || recording.row !== row) return;
    const {stop, limit} = recording;
    recording = null;
    clearTimeout(limit);
    const blob = await stop();
    const button = row.querySelector(".record");
    show(row.querySelector(".stop"), false);
    show(button, true);
    button.removeAttribute("aria-disabled");
    button.textContent = "Record again";
    take(row, blob, "recording.wav", timedOut
      ? `Stopped after ${page.maxSeconds} seconds, the most a recording may last. Listen, then press Keep or Record again.`
      : "Listen to it, then press Keep, or Record again.");
    row.querySelector(".take").focus();
  }

  function progress(figures) {
    const audio = figures.recorded + figures.built;
    document.getElementById("progress").textContent =
      `${audio} of ${figures.total} texts have audio; ${figures.needed} still to record.`;
    const offered = document.getElementById("offered");
    if (figures.offered) {
      offered.textContent = `Callers can choose ${page.language} now.`;
    } else if (figures.needed === 0) {
      offered.textContent = `Every text has audio. The hotline checks the recordings and offers ${page.language} to callers within a few seconds…`;
      setTimeout(watch, 2000);
    }
  }

  async function watch() {
    try {
      const response = await fetch(page.progressUrl, {headers: {Accept: "application/json"}});
      if (response.ok) progress(await response.json());
    } catch (error) {
      setTimeout(watch, 2000);
    }
  }

  async function keep(row) {
    const button = row.querySelector(".keep");
    if (!row.take || button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    say(row, "Sending…");
    const form = new FormData();
    form.append("name", row.dataset.name);
    form.append("audio", row.take.blob, row.take.name);
    let response, answer = {};
    try {
      response = await fetch(page.keepUrl, {method: "POST", body: form, headers: {[page.tokenHeader]: page.token}});
      answer = await response.json().catch(() => ({}));
    } catch (error) {
      button.removeAttribute("aria-disabled");
      say(row, "The recording did not reach the server (is the connection down?): press Keep to try again.", true);
      return;
    }
    button.removeAttribute("aria-disabled");
    if (!response.ok) {
      say(row, answer.error || `The server could not keep it (error ${response.status}): try again.`, true);
      return;
    }
    row.classList.add("kept");
    // What callers will hear: the recording as the server made it for the telephone.
    const player = row.querySelector(".take");
    URL.revokeObjectURL(player.src);
    player.src = answer.url;
    row.querySelector(".controls").replaceChildren(player);
    say(row, "Kept: callers will hear this recording.");
    const next = row.parentElement.querySelector(".text:not(.kept) .record");
    if (next) next.focus();
    progress(answer);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const row = button && button.closest(".text");
    if (!row) return;
    if (button.classList.contains("record")) record(row);
    else if (button.classList.contains("stop")) finish(row);
    else if (button.classList.contains("keep")) keep(row);
  });

  document.addEventListener("change", (event) => {
    const input = event.target;
    const row = input.closest(".text");
    if (!row || input.type !== "file" || !input.files.length) return;
    const file = input.files[0];
    take(row, file, file.name, `${file.name}: listen to it, then press Keep.`);
  });
})();
