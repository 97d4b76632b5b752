// The code editor: CodeMirror 6 with the Lua mode, Ctrl/Cmd-Enter to run, and an error
// mark (red line + the message in a box under it) that goes away at the next edit.
import { EditorView, basicSetup } from 'codemirror';
import { keymap, Decoration, WidgetType } from '@codemirror/view';
import { StateEffect, StateField, Prec } from '@codemirror/state';
import { StreamLanguage } from '@codemirror/language';
import { lua } from '@codemirror/legacy-modes/mode/lua';

/** { line, message } to show, or null to clear. */
const setError = StateEffect.define();

class ErrorWidget extends WidgetType {
  constructor(message) {
    super();
    this.message = message;
  }

  eq(other) {
    return other.message === this.message;
  }

  toDOM() {
    const div = document.createElement('div');
    div.className = 'cm-lua-error-message';
    div.textContent = this.message;
    return div;
  }
}

function errorDecorations(doc, { line, message }) {
  const at = doc.line(Math.min(Math.max(line, 1), doc.lines)); // '<eof>' errors may point past the end
  return Decoration.set([
    Decoration.line({ class: 'cm-lua-error-line', attributes: { 'data-error-line': String(at.number) } }).range(at.from),
    Decoration.widget({ widget: new ErrorWidget(message), block: true, side: 1 }).range(at.to),
  ]);
}

// Block widgets must come from a state field, not a view plugin.
const errorField = StateField.define({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) if (e.is(setError)) return e.value ? errorDecorations(tr.state.doc, e.value) : Decoration.none;
    return tr.docChanged ? Decoration.none : marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Creates the editor in `parent`; `onRun` is called by Ctrl/Cmd-Enter. */
export function createEditor(parent, doc, { onRun, onChange }) {
  const view = new EditorView({
    parent,
    doc,
    extensions: [
      Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (onRun(), true) }])),
      basicSetup,
      StreamLanguage.define(lua),
      EditorView.lineWrapping, // the pane is narrow: long lines wrap instead of scrolling sideways
      errorField,
      EditorView.updateListener.of((u) => u.docChanged && onChange(u.state.doc.toString())),
    ],
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    /** Marks `line` (1-based) with `message`; scrolls it into view. */
    showError(line, message) {
      const effects = [setError.of({ line, message })];
      const at = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
      effects.push(EditorView.scrollIntoView(at.from, { y: 'center' }));
      view.dispatch({ effects });
    },
    clearError: () => view.dispatch({ effects: setError.of(null) }),
  };
}
