import { createControlTransport, postControlRequest, type ServerControlOptions } from './post-control-request';

/** Loads and unloads LoRA adapters on a running vLLM server (runtime LoRA updating). */
export interface VllmLoraClient {
  /**
   * POST `/v1/load_lora_adapter` `{ lora_name, lora_path }`: the adapter directory (PEFT
   * `adapter_config.json` + `adapter_model.safetensors`) at `path`, as the server sees it, becomes the model
   * `name` in completion requests. Resolves with the server's text (`Success: LoRA adapter '…' added …`).
   */
  loadLoraAdapter(adapter: { name: string; path: string }, options?: { signal?: AbortSignal }): Promise<string>;
  /** POST `/v1/unload_lora_adapter` `{ lora_name }`. Resolves with the server's text. */
  unloadLoraAdapter(name: string, options?: { signal?: AbortSignal }): Promise<string>;
}

const runtimeUpdatingHint =
  'the server has no runtime LoRA endpoints: start vLLM with --enable-lora and the environment variable ' +
  'VLLM_ALLOW_RUNTIME_LORA_UPDATING=True';

/** FastAPI's answer for a route that is not registered (vLLM registers the LoRA routes only when allowed). */
function isMissingRoute(statusCode: number, body: string): boolean {
  if (statusCode !== 404) return false;
  try {
    return (JSON.parse(body) as { detail?: unknown }).detail === 'Not Found';
  } catch {
    return false;
  }
}

/**
 * A client for vLLM's runtime LoRA endpoints. Errors are `ApiCallError`s naming the server, the call, the
 * status and vLLM's message (400: both fields needed, or the name already loaded; 404: no adapter at the path,
 * or an unknown name to unload). A 404 without vLLM's error body means the routes are off (see the README).
 * A retried load that finds its adapter already loaded, or a retried unload that finds it gone, counts as done
 * (the first try took effect but its answer was lost).
 */
export function createVllmLoraClient(options: ServerControlOptions): VllmLoraClient {
  const transport = createControlTransport(options);
  const explainMissingRoute = (failure: { statusCode: number; body: string }) =>
    isMissingRoute(failure.statusCode, failure.body) ? { explanation: runtimeUpdatingHint } : undefined;
  return {
    async loadLoraAdapter(adapter, callOptions = {}) {
      const call = `vLLM load_lora_adapter(${JSON.stringify(adapter.name)}, ${JSON.stringify(adapter.path)})`;
      const { body } = await postControlRequest(transport, {
        url: `${transport.apiRoot}/load_lora_adapter`,
        body: { lora_name: adapter.name, lora_path: adapter.path },
        call,
        signal: callOptions.signal,
        readFailure: (failure) =>
          failure.attempt > 1 && failure.statusCode === 400 && failure.body.includes('has already been loaded')
            ? 'done'
            : explainMissingRoute(failure),
      });
      return body;
    },
    async unloadLoraAdapter(name, callOptions = {}) {
      const { body } = await postControlRequest(transport, {
        url: `${transport.apiRoot}/unload_lora_adapter`,
        body: { lora_name: name },
        call: `vLLM unload_lora_adapter(${JSON.stringify(name)})`,
        signal: callOptions.signal,
        readFailure: (failure) =>
          failure.attempt > 1 && failure.statusCode === 404 && failure.body.includes('cannot be found')
            ? 'done'
            : explainMissingRoute(failure),
      });
      return body;
    },
  };
}
