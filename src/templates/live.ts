/**
 * A store that compiles MJML on demand (with mjml, so only `templates check`, `templates build`
 * and `preview --serve` use it) from the built-in templates with the operator's directory laid
 * over them (layers.ts), and reads the locales fresh after {@link LiveStore.invalidate}.
 */
import { compileType, type CompileProblem } from './compile.js';
import type { MailTypeDef } from './catalog.js';
import type { Resources } from './i18n.js';
import { TemplateLayers, scanOperatorDir, typeTable } from './layers.js';
import type { CompiledTemplate, TemplateStore } from './store.js';
import { readOperatorTypes, type TypesFileProblem } from './types-file.js';

export interface LiveDirs {
  templatesDir: string;
  localesDir: string;
  /** MAILCTL_TEMPLATES_DIR, absolute, laid over the two above. */
  overlayDir?: string | undefined;
}

export class LiveStore implements TemplateStore {
  private readonly compiled = new Map<string, { template: CompiledTemplate; problems: CompileProblem[] }>();
  private readonly pending = new Map<string, Promise<void>>();
  private current!: TemplateLayers;
  /** Problems of the operator's types file at the last (re)load: its types are left out until fixed. */
  typeProblems: TypesFileProblem[] = [];

  constructor(
    private readonly dirs: LiveDirs,
    private readonly strict = true,
  ) {
    this.load();
  }

  private load(): void {
    const operator = this.dirs.overlayDir === undefined ? undefined : scanOperatorDir(this.dirs.overlayDir);
    const declared = operator ? readOperatorTypes(operator) : { types: [], problems: [] };
    this.typeProblems = declared.problems;
    this.current = new TemplateLayers(this.dirs, operator, typeTable(declared.types, operator?.typesFile));
  }

  /** The sources as they are now: which file each part comes from. */
  get layers(): TemplateLayers {
    return this.current;
  }

  /** Compiles `type` (every variant) unless it is compiled already. */
  async prepare(type: string): Promise<CompileProblem[]> {
    let p = this.pending.get(type);
    if (!this.compiled.has(type) && !p) {
      const layers = this.current;
      p = compileType(type, { layout: layers.layoutFile(), body: layers.bodyFile(type) }, { strict: this.strict })
        .then((r) => {
          if (layers === this.current) this.compiled.set(type, r);
        })
        .finally(() => this.pending.delete(type));
      this.pending.set(type, p);
    }
    if (p) await p;
    // Invalidated while compiling: compile again from the files as they are now.
    if (!this.compiled.has(type)) return this.prepare(type);
    return this.compiled.get(type)!.problems;
  }

  template(type: string): CompiledTemplate {
    const entry = this.compiled.get(type);
    if (!entry) throw new Error(`template ${type} was not prepared`);
    return entry.template;
  }

  mailTypes(): readonly MailTypeDef[] {
    return this.current.types.all;
  }

  mailType(id: string): MailTypeDef | undefined {
    return this.current.types.get(id);
  }

  languages(): readonly string[] {
    return this.current.languages();
  }

  resources(lang: string, namespaces: readonly string[]): Resources {
    return this.current.resources(lang, namespaces);
  }

  /** Forget everything: the next prepare() recompiles, the next resources() rereads the files. */
  invalidate(): void {
    this.compiled.clear();
    this.load();
  }
}
