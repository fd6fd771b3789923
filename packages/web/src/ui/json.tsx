/** Pretty-printed JSON, collapsible, with a copy button. */
import { useState } from 'react';

export function JsonView({ value, label = 'Raw JSON', open = false }: { value: unknown; label?: string; open?: boolean }) {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const [copied, setCopied] = useState(false);
  return (
    <details className="json" open={open}>
      <summary>{label}</summary>
      <button
        type="button"
        className="small"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre>{text}</pre>
    </details>
  );
}
