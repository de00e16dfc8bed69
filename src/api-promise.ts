/** A Promise of a call's data that also gives access to the raw response, like openai-node's `withResponse()`. */
import type { WithResponse } from "./types.js";

/**
 * Resolves to the call's data; `withResponse()` resolves to `{ data, response, requestId }` instead. The call starts
 * at once (not when awaited); both views share its single request.
 * @example const { data, requestId } = await client.tasks.get(id).withResponse();
 */
export class APIPromise<T> extends Promise<T> {
  readonly #responsePromise: Promise<WithResponse<T>>;
  #dataPromise: Promise<T> | undefined;

  constructor(responsePromise: Promise<WithResponse<T>>) {
    // The base promise is a placeholder: then/catch/finally are redirected to the data promise below.
    super((resolve) => resolve(undefined as T));
    this.#responsePromise = responsePromise;
  }

  // `then` on a Promise subclass would build another APIPromise through the species constructor; plain Promises here.
  static override get [Symbol.species]() {
    return Promise;
  }

  /** The data together with the raw `Response` and the request id. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#responsePromise;
  }

  #data(): Promise<T> {
    this.#dataPromise ??= this.#responsePromise.then((r) => r.data);
    return this.#dataPromise;
  }

  // biome-ignore lint/suspicious/noThenProperty: an APIPromise is a Promise; `then` must stay awaitable.
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#data().then(onFulfilled, onRejected);
  }

  override catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#data().catch(onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#data().finally(onFinally);
  }
}
