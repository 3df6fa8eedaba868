/**
 * URLs the functions get from the widget CDN: the loader shown in the admin UI's embed snippet, and the static
 * page Stripe Checkout sends a customer back to (without it a tenant's own Stripe key could not take deposits).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { FunctionName } from '../../lib/declaration';
import { functionLogicalId, synthesize, type Synthesized } from './support/synth';

let demo: Synthesized;
let template: Template;
beforeAll(() => {
  demo = synthesize('demo');
  template = demo.template;
});

function environmentOf(fn: FunctionName): Record<string, unknown> {
  const resource = template.toJSON()['Resources'][functionLogicalId(demo.stack, fn)];
  return resource?.Properties?.Environment?.Variables ?? {};
}

const cdnUrl = (value: unknown): string => JSON.stringify(value);

describe('widget CDN URLs', () => {
  it('gives the widget settings API the loader URL on the widget distribution', () => {
    const url = cdnUrl(environmentOf('widgetSettingsApi')['WIDGET_LOADER_URL']);
    expect(url).toContain('DomainName');
    expect(url).toContain('/widget/loader.js');
  });

  it('gives every function that may create a checkout the return page on the widget distribution', () => {
    for (const fn of ['workflowTask', 'wsMessage', 'bookingsApi', 'channelMessage'] as const) {
      const url = cdnUrl(environmentOf(fn)['CHECKOUT_RETURN_URL']);
      expect({ fn, url }).toEqual({ fn, url: expect.stringContaining('/widget/checkout-return.html') });
    }
  });
});
