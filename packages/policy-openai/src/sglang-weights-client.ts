import { ApiCallError } from '@research-ts/spec';
import { createControlTransport, postControlRequest, type ServerControlOptions } from './post-control-request';

export interface UpdateWeightsFromDiskRequest {
  /** The Hugging Face model directory (config + safetensors) with the new weights, as the server sees it. */
  modelPath: string;
  /** SGLang's `load_format` (`auto`, `safetensors`, `pt`, …); left out: the server's default. */
  loadFormat?: string;
  /** Recorded by the server as its weight version (newer SGLang); left out when undefined. */
  weightVersion?: string;
}

/** What SGLang answered: its message and how many requests it paused for the update. */
export interface UpdateWeightsFromDiskResult {
  message: string;
  numPausedRequests: number | undefined;
}

/** Replaces the weights of a running SGLang server from a directory on its disk. */
export interface SglangWeightsClient {
  /**
   * POST `{server root}/update_weights_from_disk` `{ model_path, load_format?, weight_version? }`; SGLang
   * answers `{ success, message, num_paused_requests }`. A `success: false` answer (HTTP 400) is an
   * `ApiCallError` carrying the server's message.
   */
  updateWeightsFromDisk(
    request: UpdateWeightsFromDiskRequest,
    options?: { signal?: AbortSignal },
  ): Promise<UpdateWeightsFromDiskResult>;
}

interface SglangAnswer {
  success?: unknown;
  message?: unknown;
  num_paused_requests?: unknown;
}

function parseAnswer(body: string): SglangAnswer | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null ? (value as SglangAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** A client for SGLang's native `/update_weights_from_disk` (beside `/v1`, at the server root). */
export function createSglangWeightsClient(options: ServerControlOptions): SglangWeightsClient {
  const transport = createControlTransport(options);
  return {
    async updateWeightsFromDisk(request, callOptions = {}) {
      const url = `${transport.serverRoot}/update_weights_from_disk`;
      const call = `SGLang update_weights_from_disk(${JSON.stringify(request.modelPath)})`;
      const { statusCode, body } = await postControlRequest(transport, {
        url,
        body: {
          model_path: request.modelPath,
          ...(request.loadFormat === undefined ? {} : { load_format: request.loadFormat }),
          ...(request.weightVersion === undefined ? {} : { weight_version: request.weightVersion }),
        },
        call,
        signal: callOptions.signal,
        readFailure: ({ statusCode: status, body: text }) => {
          const answer = parseAnswer(text);
          if (answer?.success === false && typeof answer.message === 'string')
            return { explanation: `the server refused: ${answer.message}` };
          if (status === 404) return { explanation: `${url} does not exist: is this an SGLang server?` };
          return undefined;
        },
      });
      const answer = parseAnswer(body);
      if (answer === undefined || typeof answer.success !== 'boolean') {
        throw new ApiCallError(`${call} at ${url}: unexpected answer (no boolean "success"): ${body.slice(0, 500)}`, {
          url,
          statusCode,
          responseBody: body,
          isRetryable: false,
        });
      }
      const message = typeof answer.message === 'string' ? answer.message : '';
      if (!answer.success) {
        throw new ApiCallError(`${call} at ${url} failed: the server refused: ${message}`, {
          url,
          statusCode,
          responseBody: body,
          isRetryable: false,
        });
      }
      return {
        message,
        numPausedRequests: typeof answer.num_paused_requests === 'number' ? answer.num_paused_requests : undefined,
      };
    },
  };
}
