/** The slice of @xmpp/client (which ships no types) that Vox and its tests use. */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmlElement {
    readonly name: string;
    readonly attrs: Readonly<Record<string, string | undefined>>;
    readonly children: readonly (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildText(name: string, xmlns?: string): string | null;
  }

  export interface XmppClient extends EventEmitter {
    readonly status: string;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(element: XmlElement): Promise<void>;
    readonly reconnect: { stop(): void };
    readonly iqCaller: { request(element: XmlElement, timeoutMs?: number): Promise<XmlElement> };
  }

  export interface XmppClientOptions {
    readonly service?: string;
    readonly domain?: string;
    readonly username?: string;
    readonly password?: string;
    readonly resource?: string;
  }

  export function client(options: XmppClientOptions): XmppClient;
  export function xml(name: string, attrs?: Readonly<Record<string, string>>, ...children: (XmlElement | string)[]): XmlElement;
}
