import { describe, expect, it } from 'vitest';
import { chartFailureOf, mask } from './chart-failure';

// Helm v3.22's own messages (stderr of `helm template` on the corpus charts; the integration test checks them live).
describe('chartFailureOf', () => {
  it('reads a missing required value as ChartValuesRequired, with Helm message', () => {
    const failure = chartFailureOf(
      'Error: execution error at (aws-load-balancer-controller/templates/deployment.yaml:68:28): Chart cannot be installed without a valid clusterName!\n\nUse --debug flag to render out invalid YAML\n',
      [],
    );
    expect(failure).toEqual({
      reason: 'ChartValuesRequired',
      message:
        'execution error at (aws-load-balancer-controller/templates/deployment.yaml:68:28): Chart cannot be installed without a valid clusterName!',
    });
  });

  it('reads schema violations and kubeVersion constraints', () => {
    expect(
      chartFailureOf(
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nredis:\n- at '/replica/replicaCount': got string, want integer\n",
        [],
      ).reason,
    ).toBe('ChartValuesInvalid');
    expect(
      chartFailureOf('Error: chart requires kubeVersion: >=1.23.0-0 which is incompatible with Kubernetes v1.22.0', [])
        .reason,
    ).toBe('ChartKubeVersionUnsupported');
  });

  it('masks secret values wherever Helm quotes them', () => {
    const failure = chartFailureOf('Error: execution error at (web/templates/x.yaml:1:1): bad password hunter22', [
      'hunter22',
    ]);
    expect(failure.message).not.toContain('hunter22');
    expect(failure.message).toContain('bad password ***');
  });

  it('leaves values too short to be secrets', () => {
    expect(mask('a b c', ['b'])).toBe('a b c');
  });
});
