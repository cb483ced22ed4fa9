// The styles of finetune.html: the shared shadow-DOM styles, then the page's own (the folder
// picker, the text areas, the generated text, the model facts).
import { css } from 'lit';
import { trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const finetuneStyles = [
  ...trainingPageStyles,
  css`
    .lead {
      max-width: 66ch;
    }
    .file {
      position: relative;
      overflow: hidden;
      white-space: nowrap;
      text-align: center;
    }
    .file input {
      position: absolute;
      inset: 0;
      opacity: 0;
      cursor: pointer;
    }
    .file:has(input:disabled) {
      opacity: 0.45;
      cursor: not-allowed;
    }
    .row {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 8px;
      margin-bottom: 12px;
    }
    textarea {
      width: 100%;
      box-sizing: border-box;
      min-height: 7.5em;
      font: inherit;
      font-family: var(--mono, ui-monospace, monospace);
      font-size: 0.86rem;
      padding: 8px;
      border-radius: 6px;
      border: 1px solid var(--line, #c9ced6);
      background: var(--field, transparent);
      color: inherit;
      resize: vertical;
    }
    .prompt-row {
      display: grid;
      grid-template-columns: minmax(0, 1fr) auto;
      gap: 8px;
      align-items: end;
    }
    .generated {
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      font-family: var(--mono, ui-monospace, monospace);
      font-size: 0.86rem;
      min-height: 3em;
      margin: 12px 0 4px;
      padding: 10px;
      border-radius: 6px;
      border: 1px dashed var(--line, #c9ced6);
    }
    .generated .prompt {
      opacity: 0.6;
    }
    .stats {
      gap: 12px 28px;
      margin: 4px 0 8px;
    }
    .downloads {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
    }
    .source {
      font-weight: 600;
      margin: 0 0 8px;
      overflow-wrap: anywhere;
    }
    .two {
      display: grid;
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      gap: 20px;
    }
    @media (max-width: 900px) {
      .two {
        grid-template-columns: minmax(0, 1fr);
      }
    }
  `,
];
