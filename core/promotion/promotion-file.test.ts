import { describe, expect, it } from 'vitest';
import { PromotionFileError, parseDuration, parsePromotions, promotedPolicies } from './promotion-file';

const example = `# dev proves a build; prod takes it after 30 minutes healthy, clean enough, in office hours
pipelines:
  - name: web
    stages:
      - name: dev
        cluster: dev
      - name: prod
        cluster: prod
        policies: [web-prod]
        approval: pull-request
        gates:
          soak: 30m
          scan:
            maxFindings: { critical: 0, high: 3 }
          window:
            days: [mon, tue, wed, thu]
            hours: "09:00-16:30"
            timeZone: Europe/Berlin
`;

function errorOf(text: string, policies?: string[]): PromotionFileError {
  try {
    parsePromotions(text, { policies });
  } catch (e) {
    expect(e).toBeInstanceOf(PromotionFileError);
    return e as PromotionFileError;
  }
  throw new Error('expected the file to be refused');
}

describe('.tidemark/promotions.yaml', () => {
  it('reads pipelines of stages with their gates and approval', () => {
    const [web] = parsePromotions(example, { policies: ['web', 'web-prod'] });
    expect(web!.name).toBe('web');
    expect(web!.stages.map((s) => [s.name, s.cluster, s.approval, s.line])).toEqual([
      ['dev', 'dev', 'direct', 5],
      ['prod', 'prod', 'pull-request', 7],
    ]);
    expect(web!.stages[1]!.gates).toEqual({
      soakSeconds: 1800,
      scan: { maxFindings: { CRITICAL: 0, HIGH: 3 } },
      window: {
        days: ['mon', 'tue', 'wed', 'thu'],
        startMinute: 540,
        endMinute: 990,
        timeZone: 'Europe/Berlin',
        text: 'mon,tue,wed,thu 09:00-16:30 Europe/Berlin',
      },
    });
    expect(promotedPolicies([web!])).toEqual(new Set(['web-prod']));
  });

  it('names file, line and key of a time zone that is not an IANA zone', () => {
    expect(errorOf(example.replace('Europe/Berlin', 'Europe/Bxrlin')).message).toBe(
      ".tidemark/promotions.yaml:18: pipelines[0].stages[1].gates.window.timeZone: is not an IANA time zone. Use a name such as 'Europe/Berlin', 'America/New_York' or 'UTC'",
    );
  });

  it('names a bad duration, a bad severity and bad hours at their keys', () => {
    expect(errorOf(example.replace('soak: 30m', 'soak: half an hour')).message).toBe(
      ".tidemark/promotions.yaml:12: pipelines[0].stages[1].gates.soak: 'half an hour' is not a duration. Write it as '30m', '2h', '1h30m' or '45s'",
    );
    expect(errorOf(example.replace('high: 3', 'severe: 3')).key).toBe('pipelines[0].stages[1].gates.scan.maxFindings');
    expect(errorOf(example.replace('"09:00-16:30"', '"9-5"')).message).toMatch(
      /^\.tidemark\/promotions\.yaml:17: pipelines\[0\]\.stages\[1\]\.gates\.window\.hours: must be 'HH:MM-HH:MM'/,
    );
  });

  it('refuses a promoted stage without gates, gates on the first stage, and a policy named twice', () => {
    expect(errorOf(example.replace(/ {8}gates:[\s\S]*$/, '')).message).toBe(
      ".tidemark/promotions.yaml:7: pipelines[0].stages[1].gates: is required for a promoted stage. Add at least 'gates: { soak: 30m }'",
    );
    expect(errorOf(example.replace('cluster: dev\n', 'cluster: dev\n        gates: { soak: 1m }\n')).key).toBe(
      'pipelines[0].stages[0].gates',
    );
    const twice = `${example}  - name: api\n    stages:\n      - { name: dev, cluster: dev }\n      - { name: prod, cluster: prod, policies: [web-prod], gates: { soak: 1m } }\n`;
    expect(errorOf(twice).message).toContain("'web-prod' is already promoted by web/prod");
  });

  it('refuses a policy that .tidemark/images.yaml does not have, naming the known ones', () => {
    expect(errorOf(example, ['web']).message).toBe(
      ".tidemark/promotions.yaml:9: pipelines[0].stages[1].policies[0]: names no policy of .tidemark/images.yaml ('web-prod'). Add the policy there, or fix the name (known: web)",
    );
  });

  it('reports broken YAML at its line', () => {
    expect(errorOf('pipelines:\n  - name: [web\n').message).toMatch(
      /^\.tidemark\/promotions\.yaml:\d+: \(yaml\): is not valid YAML/,
    );
  });

  it('reads durations as people write them', () => {
    expect([
      parseDuration('45s'),
      parseDuration('30m'),
      parseDuration('1h30m'),
      parseDuration('2d'),
      parseDuration('0s'),
    ]).toEqual([45, 1800, 5400, 172800, 0]);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
  });
});
