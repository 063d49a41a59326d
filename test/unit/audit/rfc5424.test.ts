/** RFC 5424 formatting: PRI, header fields, structured-data escaping, MSG without newline; and the sink's classification. */
import { describe, expect, it } from 'vitest';
import { escapeSdValue, formatRfc5424, headerField, SD_ID, SEVERITY, type Rfc5424Message } from '../../../src/audit/sinks/rfc5424.js';
import { classify } from '../../../src/audit/sinks/syslog.js';

const base: Rfc5424Message = {
  facility: 13,
  severity: SEVERITY.info,
  time: new Date('2024-05-06T07:08:09.123Z'),
  hostname: 'egress-1',
  appName: 'mcp-egress',
  procId: '4242',
  msgId: 'request',
  structuredData: [{ id: SD_ID, params: [['seq', '17']] }],
  message: '{"seq":17,"kind":"request"}\n',
};

describe('formatRfc5424', () => {
  it('writes PRI, version, ISO timestamp, header fields, SD and the line without its newline', () => {
    expect(formatRfc5424(base)).toBe('<110>1 2024-05-06T07:08:09.123Z egress-1 mcp-egress 4242 request [mcp-egress@32473 seq="17"] {"seq":17,"kind":"request"}');
  });

  it.each([
    { facility: 0, severity: SEVERITY.info, pri: '<6>' },
    { facility: 13, severity: SEVERITY.warning, pri: '<108>' },
    { facility: 23, severity: SEVERITY.info, pri: '<190>' },
  ])('PRI of facility $facility, severity $severity is $pri', ({ facility, severity, pri }) => {
    expect(formatRfc5424({ ...base, facility, severity })).toMatch(new RegExp(`^${pri}1 `));
  });

  it.each([
    { value: 'plain', escaped: 'plain' },
    { value: 'a"b', escaped: 'a\\"b' },
    { value: 'a\\b', escaped: 'a\\\\b' },
    { value: 'a]b', escaped: 'a\\]b' },
    { value: '"]\\', escaped: '\\"\\]\\\\' },
    { value: 'ünï [x]', escaped: 'ünï [x\\]' },
  ])('escapes SD value $value', ({ value, escaped }) => {
    expect(escapeSdValue(value)).toBe(escaped);
    expect(formatRfc5424({ ...base, structuredData: [{ id: SD_ID, params: [['v', value]] }] })).toContain(`[mcp-egress@32473 v="${escaped}"]`);
  });

  it.each([
    { value: '', max: 48, out: '-' },
    { value: 'host name', max: 255, out: 'host_name' },
    { value: 'héllo', max: 255, out: 'h_llo' },
    { value: 'x'.repeat(60), max: 48, out: 'x'.repeat(48) },
  ])('header field "$value" becomes "$out"', ({ value, max, out }) => {
    expect(headerField(value, max)).toBe(out);
  });

  it('writes the NILVALUE for no structured data and keeps a 64 KB message whole', () => {
    const message = `{"data":"${'y'.repeat(64 * 1024)}"}`;
    const text = formatRfc5424({ ...base, structuredData: [], message: `${message}\n` });
    expect(text.endsWith(` - ${message}`)).toBe(true);
  });
});

describe('classify', () => {
  it.each([
    { line: '{"seq":1,"prev_hash":"sha256:0","schema":"mcp-egress.audit/1","kind":"header","time":"t"}\n', msgId: 'header', severity: SEVERITY.info },
    { line: '{"seq":2,"prev_hash":"h","schema":"s","event_id":"e","time":"t","kind":"request","decision":{"action":"allow"}}\n', msgId: 'request', severity: SEVERITY.info },
    { line: '{"seq":3,"prev_hash":"h","schema":"s","event_id":"e","time":"t","kind":"connect","decision":{"action":"deny"}}\n', msgId: 'connect', severity: SEVERITY.warning },
    { line: '{"seq":4,"prev_hash":"h","schema":"s","kind":"alert"}\n', msgId: 'alert', severity: SEVERITY.warning },
    { line: '{"seq":5,"class_uid":4002}\n', msgId: '-', severity: SEVERITY.info },
  ])('$msgId', ({ line, msgId, severity }) => {
    expect(classify(line)).toEqual({ msgId, severity });
  });
});
