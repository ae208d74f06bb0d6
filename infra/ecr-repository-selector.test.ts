import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  eventPatternValues,
  isOtherRegion,
  parseEcrRepositorySelector,
  repositoryArns,
} from './ecr-repository-selector';

const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
const key = 'images.ecrRepositories[0]';

describe('ECR repository selectors', () => {
  it('match a name exactly, and a trailing * as a prefix, in both the event pattern and the grant', () => {
    const selectors = ['web', 'team/*'].map((e) => parseEcrRepositorySelector(e, key));
    expect(eventPatternValues(selectors)).toEqual(['web', { prefix: 'team/' }]);
    expect(stack.resolve(repositoryArns(selectors, stack))).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/web']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/team/*']] },
    ]);
  });

  it('take an ARN as given, prefix included, and match events by its repository name', () => {
    const arn = 'arn:aws:ecr:us-east-1:210987654321:repository/shared/*';
    const selector = parseEcrRepositorySelector(arn, key);
    expect(selector).toEqual({ name: 'shared/', prefix: true, arn });
    expect(eventPatternValues([selector])).toEqual([{ prefix: 'shared/' }]);
    expect(repositoryArns([selector], stack)).toEqual([arn]);
  });

  it("notice a repository in another region, whose push events do not reach this stack's bus", () => {
    const there = parseEcrRepositorySelector('arn:aws:ecr:eu-west-1:123456789012:repository/web', key);
    const here = parseEcrRepositorySelector('arn:aws:ecr:us-east-1:123456789012:repository/web', key);
    expect(isOtherRegion(there, stack)).toBe(true);
    expect(isOtherRegion(here, stack)).toBe(false);
    expect(isOtherRegion(there, new Stack(new App(), 'Agnostic'))).toBe(false);
  });

  it('refuse what ECR would refuse, naming the entry', () => {
    expect(() => parseEcrRepositorySelector('Web', key)).toThrow(
      "images.ecrRepositories[0]: 'Web' is not an ECR repository name, prefix or ARN. Write a name such as 'web'",
    );
    expect(() => parseEcrRepositorySelector('team//api', key)).toThrow(/is not an ECR repository name/);
  });
});
