/**
 * `mailctl send TYPE --to ADDR [--lang L] [--var k=v]... [--vars FILE] [--from ADDR] [--dry-run] [--json] [--queue]`
 *
 * Renders one mail, composes it (CR/LF refused there, 65) and hands it to the configured provider
 * now. stdout gets what the provider answered: the .eml path, the SMTP final reply, the HTTP API's
 * status and id; then the Message-ID. Failures are classified DeliveryErrors (providers/classify.ts)
 * and leave with the contract's exit code; the provider's own words are printed by cli.ts.
 */
import { assertUsable, redact, secretsOf } from '../config/index.js';
import { describeTransport } from '../config/describe.js';
import { DeliveryError, ExitCode, UsageError } from '../errors.js';
import { composeMessage } from '../message/compose.js';
import { requireLanguage } from '../templates/lang.js';
import type { OutgoingMessage } from '../message/types.js';
import { providerEntry } from '../providers/registry.js';
import type { Delivery } from '../providers/types.js';
import {
  loadCommandConfig,
  openCommandTemplates,
  printWarnings,
  readVars,
  type CommandContext,
  type MessageOptions,
} from './shared.js';

export interface SendCommandOptions extends MessageOptions {
  to: string;
  from?: string | undefined;
  dryRun?: boolean | undefined;
  check?: boolean | undefined;
  queue?: boolean | undefined;
  json?: boolean | undefined;
  /** Print the SMTP dialogue on stderr (swaks-style), AUTH masked. */
  transcript?: boolean | undefined;
}

export async function run(type: string, opts: SendCommandOptions, ctx: CommandContext): Promise<number> {
  if (opts.check && !opts.dryRun) {
    throw new UsageError(
      '--check goes with --dry-run',
      { hint: 'use `mailctl send TYPE --to ADDR --dry-run --check`' },
      'usage.option',
    );
  }
  if (opts.queue) {
    if (opts.dryRun)
      throw new UsageError(
        '--queue and --dry-run cannot be used together',
        { hint: 'drop one of them' },
        'usage.option',
      );
    return (await import('./enqueue.js')).run(type, opts, ctx);
  }

  const loaded = await loadCommandConfig(ctx);
  // An explicit --from stands in for MAIL_DEFAULT_SEND_FROM; its syntax is checked where the message is composed (65).
  const problems =
    opts.from === undefined ? loaded.problems : loaded.problems.filter((p) => p.key !== 'MAIL_DEFAULT_SEND_FROM');
  const config = assertUsable({ ...loaded, problems });
  const secrets = secretsOf(config);
  const out = (text: string): void => ctx.io.out(`${redact(text, secrets)}\n`);
  const err = (text: string): void => ctx.io.err(`${redact(text, secrets)}\n`);
  printWarnings(loaded, ctx, problems);

  const mailType = config.values.mailType;
  const vars = await readVars(opts, ctx.cwd);
  const { renderWith, brandingFromConfig } = await import('../templates/render.js');
  const templates = (await openCommandTemplates(config, ctx)).store;
  // `send` is the operator's test mail, with every provider: missing variables take the type's
  // sample values and stderr says which. `enqueue` and the library refuse them (65): real mails.
  const rendered = renderWith(templates, {
    type,
    lang: opts.lang === undefined ? undefined : requireLanguage(opts.lang, templates.languages()),
    vars,
    branding: brandingFromConfig(config),
    useSamples: true,
    codeTtlMs: config.values['retry.codeTtl'],
  });
  for (const name of rendered.filled) {
    err(
      `mailctl: warning: --var ${name} not given: using the sample value ${JSON.stringify(rendered.vars[name] ?? '')}`,
    );
  }
  for (const w of rendered.warnings) err(`mailctl: warning: ${w}`);

  const { senderFor, dkimOptionsFrom, createProvider } = await import('../providers/index.js');
  const message = composeMessage({
    rendered,
    to: opts.to,
    from: senderFor(config, opts.from),
    date: new Date(ctx.clock.now()),
    unsubscribeUrl: config.values.unsubscribeUrl,
  });

  if (opts.dryRun) {
    const { buildMime } = await import('../providers/mime.js');
    const raw = await buildMime(message, { dkim: await dkimOptionsFrom(config, ctx.cwd) });
    if (opts.json) {
      out(
        JSON.stringify(
          {
            ok: true,
            dryRun: true,
            provider: mailType,
            type: message.type,
            lang: message.lang,
            to: message.to.map((m) => m.address),
            messageId: message.messageId,
            mime: raw.toString('utf8'),
          },
          null,
          2,
        ),
      );
    } else {
      ctx.io.out(redact(raw.toString('utf8'), secrets));
      err(`mailctl: dry run: nothing was sent (${describeTransport(config)})`);
    }
    if (!opts.check) return ExitCode.OK;
    // The lint of `mailctl check`, on the message as it would leave; the report goes to stderr.
    const { checkMessage, messageCheckDeps } = await import('../deliverability/check-message.js');
    const deps = await messageCheckDeps(config, ctx.cwd, ctx.clock);
    const report = await checkMessage(raw, {
      ...deps,
      category: message.category,
      unsubscribable: rendered.unsubscribable,
    });
    // chalk only here: building its styles is ~0.4 ms of every other send's start-up.
    const [{ formatMessageReport }, { createChalk }] = await Promise.all([
      import('../output/message-report.js'),
      import('../output/style.js'),
    ]);
    err(formatMessageReport('(dry run)', report, createChalk(ctx.env, ctx.io.errIsTTY)));
    return report.exitCode;
  }

  // --transcript (or --debug): the SMTP dialogue on stderr, as swaks prints it.
  const transcript = opts.transcript || ctx.debug ? (line: string) => err(line) : undefined;
  const provider = await createProvider(config, {
    cwd: ctx.cwd,
    clock: ctx.clock,
    secrets: ctx.redactor,
    transcript,
    oneShot: true,
  });
  let delivery: Delivery;
  try {
    delivery = await provider.send(message, { signal: ctx.signal });
  } catch (e) {
    if (opts.json && e instanceof DeliveryError) out(JSON.stringify(failureJson(mailType, message, e), null, 2));
    throw e;
  } finally {
    await provider.close();
  }

  if (opts.json) {
    out(JSON.stringify(successJson(message, delivery), null, 2));
  } else {
    out(answerLine(delivery));
    out(`Message-ID: ${delivery.messageId}`);
    err(
      `mailctl: ${delivery.provider === 'file' ? 'wrote' : 'sent'} ${message.type} (${message.lang}) for ${message.to.map((m) => m.address).join(', ')} via ${describeTransport(config)}`,
    );
  }
  return ExitCode.OK;
}

/** One line: what the provider answered. */
function answerLine(d: Delivery): string {
  if (d.path !== undefined) return d.path;
  const parts = [d.response ?? 'accepted'];
  if (d.providerMessageId) parts.push(`(${providerEntry(d.provider)?.messageIdHeader ?? 'id'} ${d.providerMessageId})`);
  if (d.rejected.length > 0) parts.push(`rejected: ${d.rejected.join(', ')}`);
  return parts.join(' ');
}

function successJson(message: OutgoingMessage, d: Delivery): Record<string, unknown> {
  return {
    ok: true,
    provider: d.provider,
    type: message.type,
    lang: message.lang,
    to: message.to.map((m) => m.address),
    from: message.from.address,
    messageId: d.messageId,
    providerMessageId: d.providerMessageId ?? null,
    response: d.response ?? null,
    path: d.path ?? null,
    accepted: d.accepted,
    rejected: d.rejected,
  };
}

function failureJson(provider: string, message: OutgoingMessage, e: DeliveryError): Record<string, unknown> {
  return {
    ok: false,
    provider,
    type: message.type,
    lang: message.lang,
    to: message.to.map((m) => m.address),
    messageId: message.messageId,
    exitCode: e.exitCode,
    kind: e.kind,
    error: e.message,
    hint: e.hint ?? null,
    response: e.reply.reply ?? null,
    reply: e.reply,
    retryAfterMs: e.retryAfterMs ?? null,
  };
}

export type { CommandContext };
