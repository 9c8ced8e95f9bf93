import type { Command } from 'commander';
import { effectiveTemplates, previewTemplate, unknownVariables } from '../core/template-preview';
import { TEMPLATE_VARIABLES } from '../core/templates';
import { templateArgument, templateKeyArgument, tenantIdArgument } from './arguments';
import { type CliContext, withRuntime } from './context';
import { CommandFailedError } from './errors';

const SMS_SEND_NOTE = 'sent verbatim (MifosX user-defined templates)';

export function registerTemplateCommands(program: Command, context: CliContext): void {
  const templates = program.command('templates').description('the SMS text per ENTITY.ACTION (Mustache), per tenant');

  templates
    .command('list')
    .description('effective templates (defaults and the tenant’s overrides) and the variables they may use')
    .addArgument(tenantIdArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string]) => {
        const rows = effectiveTemplates(await rt.tenants.getTemplates(tenantId)).map((t) => ({
          key: t.key,
          template: t.template ?? '(silenced)',
          source: t.source,
        }));
        out.result({ templates: rows, 'SMS.SEND': SMS_SEND_NOTE, variables: TEMPLATE_VARIABLES }, () => {
          out.table(
            ['key', 'source', 'template'],
            rows.map((r) => [r.key, r.source, r.template]),
          );
          out.line(`SMS.SEND: ${SMS_SEND_NOTE}`);
          out.line(`variables: ${Object.keys(TEMPLATE_VARIABLES).join(', ')}`);
        });
      }),
    );

  templates
    .command('set')
    .description('override the template of one event key; an empty template silences that event')
    .addArgument(tenantIdArgument())
    .addArgument(templateKeyArgument())
    .addArgument(templateArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId, key, template]: [string, string, string]) => {
        await rt.tenants.putTemplate(tenantId, key, template);
        const unknown = unknownVariables(template);
        out.result({ tenantId, key, template, silenced: template === '', unknownVariables: unknown }, () => {
          out.line(template === '' ? `${key} silenced for ${tenantId}.` : `${key} template set for ${tenantId}.`);
          if (unknown.length)
            out.line(out.paint('yellow', `Note: unknown variables render empty: ${unknown.join(', ')}`));
        });
      }),
    );

  templates
    .command('unset')
    .description('back to the default template for one event key')
    .addArgument(tenantIdArgument())
    .addArgument(templateKeyArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId, key]: [string, string]) => {
        await rt.tenants.deleteTemplate(tenantId, key);
        out.result({ tenantId, key, source: 'default' }, () => out.line(`${key} for ${tenantId} back to the default.`));
      }),
    );

  templates
    .command('preview')
    .description('render the effective template with a stored event or with sample data')
    .addArgument(tenantIdArgument())
    .addArgument(templateKeyArgument())
    .option('--event <eventId>', 'render with this stored event (data the worker would fetch shows blank)')
    .action(
      withRuntime(context, async (rt, out, [tenantId, key]: [string, string], options: { event?: string }) => {
        const event = options.event ? await rt.events.get(tenantId, options.event) : undefined;
        if (options.event && !event) throw new CommandFailedError(`No event ${options.event} for ${tenantId}.`);
        const overrides = await rt.tenants.getTemplates(tenantId);
        const preview = await previewTemplate({ tenantId, key, overrides, event });
        out.result({ tenantId, ...preview, template: preview.template ?? null, text: preview.text ?? null }, () =>
          out.line(preview.text ?? `${key}: no template, such events are stored as "ignored".`),
        );
      }),
    );
}
