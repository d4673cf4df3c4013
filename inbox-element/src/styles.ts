/** The look of <vox-inbox>: every colour and size is a CSS custom property (`--vox-inbox-*`) a page can set. */
import { css } from 'lit';

export const inboxStyles = css`
  :host {
    position: relative;
    display: inline-block;
    font: var(--vox-inbox-font, inherit);
    color: var(--vox-inbox-color, inherit);
  }
  .bell {
    position: relative;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: var(--vox-inbox-bell-size, 2.5rem);
    height: var(--vox-inbox-bell-size, 2.5rem);
    border: 1px solid var(--vox-inbox-border, transparent);
    border-radius: 999px;
    background: var(--vox-inbox-bell-background, transparent);
    color: inherit;
    cursor: pointer;
  }
  .bell:focus-visible,
  button:focus-visible,
  a:focus-visible {
    outline: 2px solid var(--vox-inbox-accent, #2563eb);
    outline-offset: 2px;
  }
  .badge {
    position: absolute;
    top: -0.2rem;
    right: -0.2rem;
    min-width: 1.2rem;
    padding: 0 0.3rem;
    border-radius: 999px;
    background: var(--vox-inbox-badge-background, #dc2626);
    color: var(--vox-inbox-badge-color, #fff);
    font-size: 0.75rem;
    line-height: 1.2rem;
    text-align: center;
  }
  .badge[hidden] {
    display: none;
  }
  .panel {
    position: absolute;
    right: 0;
    z-index: var(--vox-inbox-z-index, 1000);
    width: var(--vox-inbox-width, 22rem);
    max-height: var(--vox-inbox-max-height, 28rem);
    overflow: auto;
    margin-top: 0.4rem;
    border: 1px solid var(--vox-inbox-border, #d4d4d8);
    border-radius: var(--vox-inbox-radius, 0.5rem);
    background: var(--vox-inbox-background, #fff);
    box-shadow: 0 10px 30px rgb(0 0 0 / 0.15);
    text-align: left;
  }
  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 0.5rem;
    padding: 0.6rem 0.8rem;
    border-bottom: 1px solid var(--vox-inbox-border, #d4d4d8);
  }
  h2 {
    margin: 0;
    font-size: 1rem;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li {
    padding: 0.6rem 0.8rem;
    border-bottom: 1px solid var(--vox-inbox-border, #e4e4e7);
  }
  li.unread {
    background: var(--vox-inbox-unread-background, #eff6ff);
  }
  .title {
    font-weight: 600;
  }
  .body :first-child {
    margin-top: 0.2rem;
  }
  .body :last-child {
    margin-bottom: 0.2rem;
  }
  .meta {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
    align-items: center;
    font-size: 0.8rem;
    color: var(--vox-inbox-muted, #52525b);
  }
  .actions button,
  header button {
    border: 0;
    background: none;
    color: var(--vox-inbox-accent, #2563eb);
    cursor: pointer;
    font: inherit;
    padding: 0.1rem 0.2rem;
  }
  a {
    color: var(--vox-inbox-accent, #2563eb);
  }
  .empty,
  .error {
    padding: 1rem 0.8rem;
    color: var(--vox-inbox-muted, #52525b);
  }
`;
