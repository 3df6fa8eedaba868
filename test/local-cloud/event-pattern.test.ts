/**
 * The local bus's event-pattern matcher against the examples in the EventBridge user guide
 * ("Event patterns", "Content filtering", "Arrays in event patterns", "Comparison operators").
 */
import { eventRules } from '../../lib/declaration';
import { InvalidEventPatternError, compileEventPattern, matchesEventPattern } from '../../local-cloud/event-bus';

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const withDetail = (detail: Record<string, unknown>): Record<string, unknown> => ({ ...ec2Event, detail });

describe('event pattern matching (EventBridge user guide examples)', () => {
  test('exact values on top-level and nested detail fields', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesEventPattern(pattern, ec2Event)).toBe(true);
    expect(matchesEventPattern({ ...pattern, detail: { state: ['running'] } }, ec2Event)).toBe(false);
    expect(matchesEventPattern({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event)).toBe(true);
    // Every pattern field must be present with the same nesting.
    expect(matchesEventPattern({ detail: { 'instance-type': ['t2.micro'] } }, ec2Event)).toBe(false);
    // Case-sensitive; no type coercion.
    expect(matchesEventPattern({ source: ['AWS.EC2'] }, ec2Event)).toBe(false);
    expect(matchesEventPattern({ detail: { n: [5] } }, withDetail({ n: '5' }))).toBe(false);
    expect(matchesEventPattern({ detail: { n: [5] } }, withDetail({ n: 5.0 }))).toBe(true);
    expect(matchesEventPattern({ detail: { ok: [true] } }, withDetail({ ok: true }))).toBe(true);
    expect(matchesEventPattern({ detail: { ok: [true] } }, withDetail({ ok: 'true' }))).toBe(false);
  });

  test('empty string and null values', () => {
    const pattern = { detail: { eventVersion: [''], responseElements: [null] } };
    expect(matchesEventPattern(pattern, withDetail({ eventVersion: '', responseElements: null }))).toBe(true);
    // null matches a null value, not a missing field.
    expect(matchesEventPattern(pattern, withDetail({ eventVersion: '' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ eventVersion: 'x', responseElements: null }))).toBe(false);
  });

  test('prefix, with and without equals-ignore-case', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2017-12-22' }] }, ec2Event)).toBe(true);
    expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, ec2Event)).toBe(false);
    const ignoreCase = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const service of ['EventBridge', 'eventbridge', 'EVENTB']) {
      expect(matchesEventPattern(ignoreCase, withDetail({ service }))).toBe(true);
    }
    expect(matchesEventPattern(ignoreCase, withDetail({ service: 'Lambda' }))).toBe(false);
    // Only strings have prefixes.
    expect(matchesEventPattern({ detail: { n: [{ prefix: '1' }] } }, withDetail({ n: 12 }))).toBe(false);
  });

  test('suffix, with and without equals-ignore-case', () => {
    expect(matchesEventPattern({ detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'image.png' }))).toBe(true);
    expect(matchesEventPattern({ detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'image.PNG' }))).toBe(false);
    const ignoreCase = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(ignoreCase, withDetail({ FileName: 'image.PNG' }))).toBe(true);
    expect(matchesEventPattern(ignoreCase, withDetail({ FileName: 'image.jpg' }))).toBe(false);
  });

  test('equals-ignore-case', () => {
    expect(matchesEventPattern({ 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, ec2Event)).toBe(true);
    expect(matchesEventPattern({ detail: { name: [{ 'equals-ignore-case': 'alice' }] } }, withDetail({ name: 'Alicia' }))).toBe(false);
  });

  test('anything-but: string, number, lists', () => {
    const state = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesEventPattern(state, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(state, withDetail({ state: 'initializing' }))).toBe(false);
    // anything-but needs the field to exist.
    expect(matchesEventPattern(state, withDetail({}))).toBe(false);

    const limit = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesEventPattern(limit, withDetail({ 'x-limit': 456 }))).toBe(true);
    expect(matchesEventPattern(limit, withDetail({ 'x-limit': 123 }))).toBe(false);

    const states = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesEventPattern(states, withDetail({ state: 'pending' }))).toBe(true);
    expect(matchesEventPattern(states, withDetail({ state: 'stopped' }))).toBe(false);

    const limits = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesEventPattern(limits, withDetail({ 'x-limit': 150 }))).toBe(true);
    expect(matchesEventPattern(limits, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  test('anything-but: prefix, suffix, equals-ignore-case, wildcard', () => {
    const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesEventPattern(prefix, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(prefix, withDetail({ state: 'initializing' }))).toBe(false);

    const suffix = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
    expect(matchesEventPattern(suffix, withDetail({ FileName: 'file.pdf' }))).toBe(true);
    expect(matchesEventPattern(suffix, withDetail({ FileName: 'file.txt' }))).toBe(false);

    const ignoreCase = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } };
    expect(matchesEventPattern(ignoreCase, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(ignoreCase, withDetail({ state: 'STOPPED' }))).toBe(false);

    const wildcard = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
    expect(matchesEventPattern(wildcard, withDetail({ FilePath: '/usr/bin/node' }))).toBe(true);
    expect(matchesEventPattern(wildcard, withDetail({ FilePath: '/usr/lib/node' }))).toBe(false);
  });

  test('numeric ranges', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 7, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }))).toBe(false);
    // Numeric matching needs JSON numbers.
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': '5', 'd-count': 7, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesEventPattern({ detail: { n: [{ numeric: ['>=', 10, '<', 20] }] } }, withDetail({ n: 10 }))).toBe(true);
    expect(matchesEventPattern({ detail: { n: [{ numeric: ['>=', 10, '<', 20] }] } }, withDetail({ n: 20 }))).toBe(false);
  });

  test('IP address matching (cidr), IPv4 and IPv6', () => {
    const v4 = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesEventPattern(v4, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    expect(matchesEventPattern(v4, withDetail({ sourceIPAddress: '10.0.1.1' }))).toBe(false);
    expect(matchesEventPattern(v4, withDetail({ sourceIPAddress: 'not-an-ip' }))).toBe(false);
    const v6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } };
    expect(matchesEventPattern(v6, withDetail({ sourceIPAddress: '2001:db8:1::1' }))).toBe(true);
    expect(matchesEventPattern(v6, withDetail({ sourceIPAddress: '2001:db9::1' }))).toBe(false);
  });

  test('exists (leaf nodes only)', () => {
    expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, ec2Event)).toBe(true);
    expect(matchesEventPattern({ detail: { state: [{ exists: false }] } }, ec2Event)).toBe(false);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, ec2Event)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, ec2Event)).toBe(false);
    // An intermediate node is not a leaf.
    expect(matchesEventPattern({ detail: [{ exists: true }] }, ec2Event)).toBe(false);
    // exists:false also matches when a whole parent object is missing.
    expect(matchesEventPattern({ detail: { meta: { trace: [{ exists: false }] } } }, ec2Event)).toBe(true);
    // A null value exists.
    expect(matchesEventPattern({ detail: { x: [{ exists: true }] } }, withDetail({ x: null }))).toBe(true);
  });

  test('wildcard', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' })).toBe(true);
    expect(matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/myEventBus' })).toBe(false);
    expect(matchesEventPattern({ f: [{ wildcard: 'dir/*.png' }] }, { f: 'dir/a.b.png' })).toBe(true);
    expect(matchesEventPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
    expect(matchesEventPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'axxb' })).toBe(false);
    expect(matchesEventPattern({ f: [{ wildcard: 'a.c' }] }, { f: 'abc' })).toBe(false);
  });

  test('$or across fields and several operators in one value list', () => {
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 9, 'd-count': 3 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 9, 'd-count': 30, 'x-limit': 1 }))).toBe(false);
    const topLevel = { source: ['aws.ec2'], $or: [{ 'detail-type': ['X'] }, { detail: { state: ['terminated'] } }] };
    expect(matchesEventPattern(topLevel, ec2Event)).toBe(true);
    const mixed = { detail: { state: ['running', { prefix: 'term' }, { exists: false }] } };
    expect(matchesEventPattern(mixed, ec2Event)).toBe(true);
    expect(matchesEventPattern(mixed, withDetail({}))).toBe(true);
    expect(matchesEventPattern(mixed, withDetail({ state: 'stopped' }))).toBe(false);
  });

  test('arrays in events: a non-empty intersection matches', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { resources: [event.resources[0]] })).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    expect(matchesEventPattern({ detail: { tags: [{ 'anything-but': 'a' }] } }, withDetail({ tags: ['a', 'b'] }))).toBe(true);
    expect(matchesEventPattern({ detail: { tags: [{ 'anything-but': 'a' }] } }, withDetail({ tags: ['a'] }))).toBe(false);
  });

  test('arrays of objects: fields must match within one element', () => {
    const detail = { items: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 4 }] };
    expect(matchesEventPattern({ detail: { items: { sku: ['B'], qty: [4] } } }, withDetail(detail))).toBe(true);
    expect(matchesEventPattern({ detail: { items: { sku: ['A'], qty: [4] } } }, withDetail(detail))).toBe(false);
  });

  test('invalid patterns are rejected with a clear error', () => {
    const invalid: unknown[] = [
      'not an object',
      {},
      { source: 'aws.ec2' },
      { source: [] },
      { detail: {} },
      { source: [{ unknown: 'x' }] },
      { source: [{ prefix: 'a', suffix: 'b' }] },
      { source: [{ prefix: 1 }] },
      { n: [{ numeric: ['>', 'x'] }] },
      { n: [{ numeric: ['<', 5, '>', 1] }] },
      { n: [{ numeric: ['>', 5, '<', 1] }] },
      { n: [{ numeric: ['~', 5] }] },
      { f: [{ wildcard: 'a**b' }] },
      { ip: [{ cidr: '10.0.0.0/33' }] },
      { ip: [{ cidr: 'nope' }] },
      { $or: [{ source: ['a'] }] },
      { s: [{ exists: 'yes' }] },
      { s: [{ 'anything-but': [1, 'a'] }] },
      { s: [[1]] },
    ];
    for (const pattern of invalid) {
      expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError);
    }
  });

  test('the declared rules route each detail type to exactly its target', () => {
    const compiled = eventRules.map((rule) => ({ name: rule.name, matches: compileEventPattern(rule.pattern) }));
    const route = (detailType: string, source = 'concierge'): string[] =>
      compiled.filter((r) => r.matches({ ...ec2Event, source, 'detail-type': detailType, detail: {} })).map((r) => r.name);
    expect(route('message.received')).toEqual(['ConversationStats']);
    expect(route('conversation.started')).toEqual(['ConversationStats']);
    expect(route('privacy.retention.due')).toEqual(['RetentionSweep']);
    expect(route('handoff.requested')).toEqual(['ConversationStats', 'HandoffRequested', 'OutboundWebhooks']);
    expect(route('booking.requested')).toEqual(['BookingRequested']);
    expect(route('booking.requested', 'someone.else')).toEqual([]);
    expect(route('unknown.event')).toEqual([]);
  });
});
