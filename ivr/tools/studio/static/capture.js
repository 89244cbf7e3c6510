// The studio's microphone tap, run on the audio thread: hands every block of samples to the page.
class StudioCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}

registerProcessor("studio-capture", StudioCapture);
