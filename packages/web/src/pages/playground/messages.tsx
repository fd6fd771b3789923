/** The playground's message list editor: roles, content, extra fields, add/remove/reorder. */
import { useState, type KeyboardEvent } from 'react';
import { ROLES, type DraftMessage } from './request';

export function MessageEditor({
  m,
  n,
  first,
  last,
  onChange,
  onMove,
  onRemove,
  onKey,
}: {
  m: DraftMessage;
  n: number;
  first: boolean;
  last: boolean;
  onChange: (p: Partial<DraftMessage>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
  onKey: (e: KeyboardEvent) => void;
}) {
  const [showFields, setShowFields] = useState(m.fields !== '');
  const id = `pg-msg-${m.id}`;
  const roles = (ROLES as readonly string[]).includes(m.role) ? ROLES : [...ROLES, m.role];
  return (
    <li className={`pg-msg role-${m.role}`}>
      <div className="pg-msg-head">
        <label htmlFor={`${id}-role`} className="sr-only">
          Role of message {n}
        </label>
        <select id={`${id}-role`} value={m.role} onChange={(e) => onChange({ role: e.target.value })}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <span className="pg-msg-tools">
          <button type="button" className="small" onClick={() => setShowFields((s) => !s)} aria-expanded={showFields} aria-controls={`${id}-fields`}>
            Fields
          </button>
          <button type="button" className="small" aria-label={`Move message ${n} up`} disabled={first} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" className="small" aria-label={`Move message ${n} down`} disabled={last} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" className="small danger" aria-label={`Remove message ${n}`} onClick={onRemove}>
            ✕
          </button>
        </span>
      </div>
      <label htmlFor={`${id}-content`} className="sr-only">
        Message {n} ({m.role})
      </label>
      <textarea
        id={`${id}-content`}
        rows={Math.min(12, Math.max(2, m.content.split('\n').length))}
        value={m.content}
        onChange={(e) => onChange({ content: e.target.value })}
        onKeyDown={onKey}
        placeholder={m.role === 'system' ? 'Instructions for the model' : m.role === 'user' ? 'Type a message' : ''}
      />
      {showFields && (
        <div id={`${id}-fields`}>
          <label htmlFor={`${id}-fields-text`} className="small">
            Other fields of message {n} (JSON: name, tool_calls, tool_call_id, non-text content…)
          </label>
          <textarea
            id={`${id}-fields-text`}
            className="mono"
            rows={Math.min(12, Math.max(2, m.fields.split('\n').length))}
            value={m.fields}
            onChange={(e) => onChange({ fields: e.target.value })}
            spellCheck={false}
            placeholder='{"name": "…"}'
          />
        </div>
      )}
    </li>
  );
}
