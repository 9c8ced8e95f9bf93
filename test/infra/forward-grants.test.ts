import { actionsOf, logicalId, resourcesOf, statementsOfRole, synthStack } from './synth';

const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/mifos-events';

function putEventsStatements(context: Record<string, string>) {
  const { stack, template } = synthStack(context);
  const statements = statementsOfRole(template, logicalId(stack.processing.worker.role));
  return statements.filter((s) => actionsOf(s).includes('events:PutEvents'));
}

describe('EventBridge forwarding grants', () => {
  test('the worker may PutEvents only on the buses named by context', () => {
    // Act
    const statements = putEventsStatements({ forwardEventBuses: BUS });

    // Assess
    expect(statements).toHaveLength(1);
    expect(resourcesOf(statements[0]!)).toEqual([BUS]);
  });

  test('no bus named, no PutEvents grant', () => {
    // Act
    const statements = putEventsStatements({});

    // Assess
    expect(statements).toEqual([]);
  });
});
