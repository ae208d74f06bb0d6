import { LineCounter, parseDocument } from 'yaml';
import { locateIssue } from '../config/yaml-issue';
import * as z from '../zod';

/** Where promotion pipelines live in the config repo, beside the image policies they promote. */
export const PROMOTIONS_FILE = '.tidemark/promotions.yaml';

/** ECR's severities, as `finding-severity-counts` and `DescribeImageScanFindings` name them. */
export const scanSeverities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type ScanSeverity = (typeof scanSeverities)[number];

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** When a stage may receive a promotion: local weekdays and hours in an IANA time zone. */
export interface PromotionWindow {
  days: Weekday[];
  /** Minutes after local midnight; `endMinute` is exclusive and may be below `startMinute` (a window past midnight). */
  startMinute: number;
  endMinute: number;
  /** IANA name, such as `Europe/Berlin`; daylight saving time is the platform's (Intl), never computed here. */
  timeZone: string;
  /** As written, for messages: `mon-fri 09:00-17:00 Europe/Berlin`. */
  text: string;
}

/** What must hold before a candidate enters a stage. Every gate is a check on evidence; none is a person's click. */
export interface PromotionGates {
  /** How long the candidate must have run healthy in the previous stage (a degrade or a newer deploy resets it). */
  soakSeconds: number;
  /** Findings allowed per severity; a severity not named is not limited. Absent: the scan is not a gate. */
  scan?: { maxFindings: Partial<Record<ScanSeverity, number>> };
  window?: PromotionWindow;
}

/** One stage: a cluster, the image policies that write its manifests, its gates and how it is written to. */
export interface PromotionStage {
  name: string;
  /** Tidemark's name of the cluster (`clusters[].name`), whose deployment events prove a candidate here. */
  cluster: string;
  /** Names of policies in `.tidemark/images.yaml` that write this stage's manifests. Empty for the first stage. */
  policies: string[];
  /** Absent for the first stage, which receives pushes from the image updater, not promotions. */
  gates?: PromotionGates;
  /** `pull-request`: a person approves by merging; `direct`: a commit on the policy's branch. */
  approval: 'direct' | 'pull-request';
  line: number;
}

export interface PromotionPipeline {
  name: string;
  stages: PromotionStage[];
  line: number;
}

/** A promotions file that cannot be used. The message names the file, line and key, the problem and the fix. */
export class PromotionFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${key}: ${problem}`, options);
    this.name = 'PromotionFileError';
  }
}

const name = z
  .string()
  .check(z.regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be lower-case letters, digits and '-', such as 'prod'"));

/**
 * `90s`, `30m`, `2h`, `1h30m`, `0s`. Written by hand: five units and one regex are less than a dependency, and the
 * error can say exactly what is accepted.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number];
  return ((d * 24 + h) * 60 + min) * 60 + s;
}

const duration = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v: string | number, ctx) => {
    const seconds = typeof v === 'number' ? v : parseDuration(v);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 0) {
      ctx.issues.push({
        code: 'custom',
        message: `'${v}' is not a duration. Write it as '30m', '2h', '1h30m' or '45s'`,
        input: v,
      });
      return z.NEVER;
    }
    return seconds;
  }),
);

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const clock = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minuteOf = (hhmm: string) => {
  const m = clock.exec(hhmm)!;
  return Number(m[1]) * 60 + Number(m[2]);
};

const WindowSchema = z.pipe(
  z.strictObject({
    days: z._default(
      z.array(z.enum(weekdays, 'must be one of mon, tue, wed, thu, fri, sat, sun')).check(z.minLength(1)),
      [...weekdays],
    ),
    hours: z._default(
      z.string().check(
        z.refine((h) => {
          const [from, to, ...rest] = h.split('-');
          return rest.length === 0 && clock.test(from ?? '') && (clock.test(to ?? '') || to === '24:00') && from !== to;
        }, "must be 'HH:MM-HH:MM' in 24-hour local time, such as '09:00-17:00' (end exclusive; '22:00-02:00' spans midnight)"),
      ),
      '00:00-24:00',
    ),
    timeZone: z
      .string()
      .check(
        z.refine(
          validTimeZone,
          "is not an IANA time zone. Use a name such as 'Europe/Berlin', 'America/New_York' or 'UTC'",
        ),
      ),
  }),
  z.transform((w): PromotionWindow => {
    const [from, to] = w.hours.split('-') as [string, string];
    return {
      days: w.days,
      startMinute: minuteOf(from),
      endMinute: to === '24:00' ? 24 * 60 : minuteOf(to),
      timeZone: w.timeZone,
      text: `${w.days.join(',')} ${w.hours} ${w.timeZone}`,
    };
  }),
);

const severityKey = (s: ScanSeverity) => s.toLowerCase() as Lowercase<ScanSeverity>;
const findingCount = z.optional(z.number().check(z.int(), z.gte(0)));

const ScanSchema = z.pipe(
  z.strictObject({
    maxFindings: z.strictObject(
      Object.fromEntries(scanSeverities.map((s) => [severityKey(s), findingCount])) as Record<
        Lowercase<ScanSeverity>,
        typeof findingCount
      >,
    ),
  }),
  z.transform((s) => ({
    maxFindings: Object.fromEntries(
      scanSeverities.flatMap((sev) => {
        const max = s.maxFindings[severityKey(sev)];
        return max === undefined ? [] : [[sev, max]];
      }),
    ) as Partial<Record<ScanSeverity, number>>,
  })),
);

const GatesSchema = z.strictObject({
  soak: duration,
  scan: z.optional(ScanSchema),
  window: z.optional(WindowSchema),
});

const StageSchema = z.strictObject({
  name,
  cluster: name,
  policies: z._default(z.array(z.string().check(z.minLength(1))), []),
  gates: z.optional(GatesSchema),
  approval: z._default(z.enum(['direct', 'pull-request'], "must be 'direct' or 'pull-request'"), 'direct'),
});

const PipelineSchema = z
  .strictObject({
    name,
    stages: z
      .array(StageSchema)
      .check(z.minLength(2, 'must list at least two stages: where a candidate is proven, and where it goes')),
  })
  .check(
    z.superRefine((p, ctx) => {
      const seen = new Set<string>();
      p.stages.forEach((stage, i) => {
        if (seen.has(stage.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'name'],
            message: `'${stage.name}' names two stages of this pipeline. Give each its own name`,
          });
        }
        seen.add(stage.name);
        if (i === 0 && stage.gates) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', 0, 'gates'],
            message:
              'the first stage has nothing upstream to be proven in; its images come from the image updater. Move the gates to the stage after it',
          });
        }
        if (i > 0 && !stage.gates) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'gates'],
            message: "is required for a promoted stage. Add at least 'gates: { soak: 30m }'",
          });
        }
        if (i > 0 && stage.policies.length === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'policies'],
            message: 'must name the image policies (in .tidemark/images.yaml) that write this stage’s manifests',
          });
        }
      });
    }),
  );

const PromotionFileSchema = z.strictObject({ pipelines: z.array(PipelineSchema) }).check(
  z.superRefine((file, ctx) => {
    const pipelines = new Set<string>();
    const owner = new Map<string, string>();
    file.pipelines.forEach((p, i) => {
      if (pipelines.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'name'],
          message: `'${p.name}' names two pipelines. Give each its own name`,
        });
      }
      pipelines.add(p.name);
      p.stages.forEach((stage, j) => {
        stage.policies.forEach((policy, k) => {
          const other = owner.get(policy);
          if (other) {
            ctx.addIssue({
              code: 'custom',
              path: ['pipelines', i, 'stages', j, 'policies', k],
              message: `'${policy}' is already promoted by ${other}. A policy's manifests have one way in: name it in one stage`,
            });
          }
          owner.set(policy, `${p.name}/${stage.name}`);
        });
      });
    });
  }),
);

/**
 * Parses and validates `.tidemark/promotions.yaml`. An error names the file, the line and the key, as the image
 * policies' do: `.tidemark/promotions.yaml:9: pipelines[0].stages[1].gates.window.timeZone: is not an IANA time zone…`.
 * `policies`, when given (the image policy names of `.tidemark/images.yaml`), are checked to exist.
 */
export function parsePromotions(
  text: string,
  options: { file?: string; policies?: readonly string[] } = {},
): PromotionPipeline[] {
  const file = options.file ?? PROMOTIONS_FILE;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new PromotionFileError(
      file,
      lines.linePos(e.pos[0]).line,
      '(yaml)',
      `is not valid YAML (${e.message.split('\n')[0]}). Fix the syntax`,
      { cause: e },
    );
  }
  const result = PromotionFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const { line, key, missing } = locateIssue(doc, lines, issue);
    const message = missing ? 'is required. Add it (see the format in README.md, "Promotion")' : issue.message;
    throw new PromotionFileError(file, line, key, message, { cause: result.error });
  }
  const lineOf = (path: (string | number)[]) =>
    locateIssue(doc, lines, { path, code: 'custom', message: '', input: undefined } as never).line;
  const pipelines = result.data.pipelines.map((p, i) => ({
    name: p.name,
    line: lineOf(['pipelines', i]),
    stages: p.stages.map((s, j) => ({
      name: s.name,
      cluster: s.cluster,
      policies: s.policies,
      approval: s.approval,
      ...(s.gates
        ? {
            gates: {
              soakSeconds: s.gates.soak,
              ...(s.gates.scan ? { scan: s.gates.scan } : {}),
              ...(s.gates.window ? { window: s.gates.window } : {}),
            },
          }
        : {}),
      line: lineOf(['pipelines', i, 'stages', j]),
    })),
  }));
  if (options.policies) {
    const known = new Set(options.policies);
    for (const [i, p] of pipelines.entries()) {
      for (const [j, s] of p.stages.entries()) {
        for (const [k, policy] of s.policies.entries()) {
          if (!known.has(policy)) {
            const path = ['pipelines', i, 'stages', j, 'policies', k];
            throw new PromotionFileError(
              file,
              lineOf(path),
              `pipelines[${i}].stages[${j}].policies[${k}]`,
              `names no policy of .tidemark/images.yaml ('${policy}'). Add the policy there, or fix the name (known: ${[...known].join(', ')})`,
            );
          }
        }
      }
    }
  }
  return pipelines;
}

/** The policies that move only by promotion: the image updater leaves them alone on a push. */
export function promotedPolicies(pipelines: readonly PromotionPipeline[]): Set<string> {
  return new Set(pipelines.flatMap((p) => p.stages.slice(1).flatMap((s) => s.policies)));
}
