// The terminal library, bundled apart from the views (terminal.js) and loaded by the shell panel
// only when a shell is opened: it is nine tenths of the page's weight.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

/** What terminal.js puts on `window.tugboatTerminal`. */
export interface TerminalLibrary {
  readonly Terminal: typeof Terminal;
  readonly FitAddon: typeof FitAddon;
}

(window as unknown as { tugboatTerminal: TerminalLibrary }).tugboatTerminal = { Terminal, FitAddon };
