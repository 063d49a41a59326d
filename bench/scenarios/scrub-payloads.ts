/**
 * Realistic bodies for `npm run bench:scrub`, deterministic (seeded PRNG) so every run scans the same bytes:
 *   - a GitHub "list repository issues" response (REST v3 shape: API and HTML URLs, numeric ids, base64
 *     node ids, 40-hex commit SHAs in the markdown bodies, labels, users, reactions), served by the backend;
 *   - a "create issue comment"-like request body, POSTed by the client.
 * No secrets are planted: the benchmark measures what scrubbing costs on ordinary traffic, where it
 * finds nothing (the probes in scrub-workloads.ts check that nothing gets redacted, i.e. no false positive).
 */

import { prng } from '../lib/prng.js';

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const WORDS = (
  'the a when after before request response retry timeout cache handler config value missing returns ' +
  'error stream client server widget build release flaky test linux macos windows node version upgrade ' +
  'regression crash memory leak docs typo fix feature option default behaviour expected actual steps ' +
  'reproduce log output pagination header token refresh race condition deadlock queue worker schema'
).split(' ');
const LOGINS = ['octocat', 'hubot', 'monalisa', 'dependabot[bot]', 'renovate[bot]', 'jdoe-dev', 'a-kowalski', 'mei-lin'];
const LABELS = ['bug', 'enhancement', 'documentation', 'good first issue', 'help wanted', 'needs-triage', 'area/cli'];
const REPO = 'https://api.github.com/repos/octo-org/widget-service';
const HTML = 'https://github.com/octo-org/widget-service';

interface Draw {
  readonly random: () => number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chars(alphabet: string, n: number): string;
  words(n: number): string;
}

function draw(seed: number): Draw {
  const random = prng(seed);
  const int = (max: number): number => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chars = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  return { random, int, pick, chars, words };
}

function user(d: Draw, login: string) {
  const id = 1000 + d.int(9_000_000);
  const url = `https://api.github.com/users/${encodeURIComponent(login)}`;
  return {
    login, id, node_id: `MDQ6VXNlcj${d.chars(B64, 10)}`, avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '', url, html_url: `https://github.com/${login}`, followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`, gists_url: `${url}/gists{/gist_id}`, starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`, organizations_url: `${url}/orgs`, repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`, received_events_url: `${url}/received_events`, type: login.endsWith('[bot]') ? 'Bot' : 'User',
    user_view_type: 'public', site_admin: false,
  };
}

function markdownBody(d: Draw): string {
  const sha = d.chars(HEX, 40);
  return [
    `### Describe the bug\n${d.words(18 + d.int(20))}.`,
    `Regressed in ${sha.slice(0, 7)} (${HTML}/commit/${sha}); last good ${d.chars(HEX, 40)}.`,
    '### Steps to reproduce\n1. `npm ci`\n2. `npm test -- --grep pagination`',
    `\`\`\`\nError: ${d.words(6)}\n    at Client.request (src/client.ts:${d.int(400)}:${d.int(80)})\n\`\`\``,
    `Request id \`${d.chars(HEX, 8).toUpperCase()}:${d.chars(HEX, 6).toUpperCase()}\`, node v20.${d.int(20)}.${d.int(5)}.`,
  ].join('\r\n\r\n');
}

function issue(d: Draw, number: number) {
  const url = `${REPO}/issues/${number}`;
  const labels = Array.from({ length: 1 + d.int(3) }, () => d.pick(LABELS)).map((name) => ({
    id: 100_000_000 + d.int(900_000_000), node_id: `LA_kwDOB${d.chars(B64, 17)}`, url: `${REPO}/labels/${encodeURIComponent(name)}`,
    name, color: d.chars(HEX, 6), default: name === 'bug', description: d.words(4),
  }));
  const created = Date.UTC(2025, d.int(12), 1 + d.int(28), d.int(24), d.int(60), d.int(60));
  return {
    url, repository_url: REPO, labels_url: `${url}/labels{/name}`, comments_url: `${url}/comments`, events_url: `${url}/events`,
    html_url: `${HTML}/issues/${number}`, id: 2_000_000_000 + d.int(900_000_000), node_id: `I_kwDOKyZ${d.chars(B64, 13)}`,
    number, title: d.words(4 + d.int(6)), user: user(d, d.pick(LOGINS)), labels, state: d.random() < 0.7 ? 'open' : 'closed',
    locked: false, assignee: null, assignees: [], milestone: null, comments: d.int(30),
    created_at: new Date(created).toISOString().replace('.000', ''), updated_at: new Date(created + d.int(9e8)).toISOString().replace('.000', ''),
    closed_at: null, author_association: d.pick(['OWNER', 'MEMBER', 'CONTRIBUTOR', 'NONE']), type: null, active_lock_reason: null,
    sub_issues_summary: { total: 0, completed: 0, percent_completed: 0 }, body: markdownBody(d),
    reactions: { url: `${url}/reactions`, total_count: d.int(9), '+1': d.int(5), '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: d.int(3), rocket: 0, eyes: 0 },
    timeline_url: `${url}/timeline`, performed_via_github_app: null, state_reason: null,
  };
}

/** A JSON array of issues, compact like the API's, of about `targetBytes` (whole issues: a little over). */
export function issueListJson(targetBytes: number): Buffer {
  const d = draw(0x9e3779b9 ^ targetBytes);
  const issues: string[] = [];
  let bytes = 2;
  for (let number = 4711; bytes < targetBytes && issues.length < 100_000; number--) {
    const text = JSON.stringify(issue(d, number));
    issues.push(text);
    bytes += text.length + 1;
  }
  return Buffer.from(`[${issues.join(',')}]`);
}

/** A "create issue comment"-like JSON request body of about `targetBytes`: prose, SHAs, links, a log excerpt. */
export function commentRequestJson(targetBytes: number): Buffer {
  const d = draw(0x85ebca6b ^ targetBytes);
  const paragraphs: string[] = [];
  for (let i = 0; paragraphs.join('\n\n').length < targetBytes - 200 && i < 10_000; i++) {
    paragraphs.push(i % 3 === 2 ? `See ${HTML}/pull/${d.int(5000)} and ${d.chars(HEX, 40)}.` : `${d.words(20 + d.int(20))}.`);
  }
  const body = { body: paragraphs.join('\n\n'), in_reply_to: 2_000_000_000 + d.int(9e8), labels: ['needs-triage'], assignees: [d.pick(LOGINS)] };
  return Buffer.from(JSON.stringify(body));
}
