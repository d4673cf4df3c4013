/** Local actors' key pairs: generated on first use, kept in the database, never regenerated. */
import type * as FedifyModule from '@fedify/fedify';
import type { ActivityStore } from './store.ts';

/** RSA keys sign HTTP Signatures (what Mastodon checks); Ed25519 keys sign Object Integrity Proofs. */
const KEY_ALGORITHMS = ['RSASSA-PKCS1-v1_5', 'Ed25519'] as const;

/** The key pairs of local actors, loaded once per process. */
export class ActorKeys {
  readonly #fedify: typeof FedifyModule;
  readonly #store: ActivityStore;
  readonly #loaded = new Map<string, Promise<CryptoKeyPair[]>>();

  constructor(fedify: typeof FedifyModule, store: ActivityStore) {
    this.#fedify = fedify;
    this.#store = store;
  }

  /** The actor's key pairs, RSA first. */
  of(identifier: string): Promise<CryptoKeyPair[]> {
    let pairs = this.#loaded.get(identifier);
    if (!pairs) {
      pairs = this.#load(identifier);
      this.#loaded.set(identifier, pairs);
      pairs.catch(() => this.#loaded.delete(identifier));
    }
    return pairs;
  }

  async #load(identifier: string): Promise<CryptoKeyPair[]> {
    const { generateCryptoKeyPair, exportJwk, importJwk } = this.#fedify;
    let stored = await this.#store.keys(identifier);
    const missing = KEY_ALGORITHMS.filter((algorithm) => !stored.some((k) => k.algorithm === algorithm));
    if (missing.length > 0) {
      const generated = await Promise.all(
        missing.map(async (algorithm) => {
          const pair = await generateCryptoKeyPair(algorithm);
          return { algorithm, privateKey: JSON.stringify(await exportJwk(pair.privateKey)), publicKey: JSON.stringify(await exportJwk(pair.publicKey)) };
        }),
      );
      // Another process may have stored keys meanwhile: theirs win, and both use them.
      await this.#store.addKeys(identifier, generated);
      stored = await this.#store.keys(identifier);
    }
    const ordered = KEY_ALGORITHMS.flatMap((algorithm) => stored.filter((k) => k.algorithm === algorithm));
    return Promise.all(
      ordered.map(async (k) => ({
        privateKey: await importJwk(JSON.parse(k.privateKey) as JsonWebKey, 'private'),
        publicKey: await importJwk(JSON.parse(k.publicKey) as JsonWebKey, 'public'),
      })),
    );
  }
}
