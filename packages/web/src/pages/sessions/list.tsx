/** Sessions: conversations (traces sharing a session id), most recent activity first, a page at a time. */
import { useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { api, qs } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { FirstRequest } from '../../ui/first-request';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { Pager, useCursor } from '../../ui/pager';
import type { Page, SessionRow } from '../../ui/trace';
import './sessions.css';

export default function SessionsPage() {
  const [params, setParams] = useSearchParams();
  const pg = useCursor(50);
  const user = params.get('user') ?? '';
  const [draft, setDraft] = useState(user);
  useEffect(() => setDraft(user), [user]);

  const path = `/api/sessions${qs({ user, limit: pg.limit, cursor: pg.cursor })}`;
  const sessions = useQuery({ queryKey: ['sessions', path], queryFn: () => api<Page<SessionRow>>(path), placeholderData: keepPreviousData });

  const setUser = (v: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (v) next.set('user', v);
      else next.delete('user');
      next.delete('cursor');
      return next;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setUser(draft.trim());
  };

  return (
    <div className="sessions-page">
      <h1>Sessions</h1>
      <form className="toolbar" onSubmit={submit} aria-label="Filter sessions">
        <div>
          <label htmlFor="sf-user">User</label>
          <input id="sf-user" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="user id" />
        </div>
        <button type="submit" className="primary">
          Apply
        </button>
        {user && (
          <button type="button" onClick={() => setUser('')}>
            Clear
          </button>
        )}
      </form>
      {sessions.error ? (
        <ErrorMessage error={sessions.error} title="Sessions could not be loaded" />
      ) : !sessions.data ? (
        <Loading what="Loading sessions" />
      ) : sessions.data.data.length === 0 && !pg.cursor ? (
        user ? (
          <EmptyState title={`No sessions of user “${user}”`}>
            <button type="button" onClick={() => setUser('')}>
              Show all users
            </button>
          </EmptyState>
        ) : (
          <EmptyState title="No sessions yet">
            <p>
              A session groups the calls of one conversation. Send the header <code>x-assay-session-id</code> with each call of a
              conversation (and <code>x-assay-user</code> or the body’s <code>user</code> for who it is):
            </p>
            <FirstRequest />
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Sessions">
              <thead>
                <tr>
                  <th>Session</th>
                  <th>User</th>
                  <th>Last activity</th>
                  <th className="num">Duration</th>
                  <th className="num">Traces</th>
                  <th className="num">Errors</th>
                  <th className="num">Tokens</th>
                  <th className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.data.map((s) => (
                  <tr key={s.session_id}>
                    <td className="cell-session">
                      <Link href={`/sessions/${encodeURIComponent(s.session_id)}`}>{s.session_id}</Link>
                    </td>
                    <td>
                      {s.user_id ? (
                        <button type="button" className="linkish" onClick={() => setUser(s.user_id!)} title={`Only sessions of ${s.user_id}`}>
                          {s.user_id}
                        </button>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td title={`first ${fmtTime(s.first_time)}`}>{fmtTime(s.last_time)}</td>
                    <td className="num">{fmtMs(s.last_time - s.first_time)}</td>
                    <td className="num">{fmtInt(s.traces)}</td>
                    <td className="num">{s.errors ? <span className="badge error">{fmtInt(s.errors)}</span> : '0'}</td>
                    <td className="num">{fmtInt(s.total_tokens)}</td>
                    <td className="num">{fmtCost(s.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pg={pg} nextCursor={sessions.data.next_cursor} count={sessions.data.data.length} what="sessions" busy={sessions.isFetching} />
        </>
      )}
    </div>
  );
}
