import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PROTOCOL_DOC = 'docs/protocol.md';
const SCANNED = ['lambdas', 'lib', 'bin', 'test', 'bench'];
const SELF = path.relative(ROOT, __filename);

/** `docs/protocol.md §5`, `docs/protocol.md §2–§4`, `docs/protocol.md §2-§3`: every section number a reference names. */
const REFERENCE = /docs\/protocol\.md (§\d+(?:\s*[–-]\s*§\d+)?)/g;
/** A reference to the protocol that does not say which document it means (the old form). */
const BARE_REFERENCE = /(?<!docs\/)protocol §\d/gi;

interface Reference {
  file: string;
  line: number;
  sections: number[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => file !== SELF);
}

function sectionsOf(text: string): number[] {
  const [from, to = from] = [...text.matchAll(/§(\d+)/g)].map((m) => Number(m[1]));
  const sections: number[] = [];
  for (let n = from!; n <= to!; n++) sections.push(n);
  return sections;
}

function scan(files: string[]): { references: Reference[]; bare: string[] } {
  const references: Reference[] = [];
  const bare: string[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    lines.forEach((text, index) => {
      for (const match of text.matchAll(REFERENCE)) {
        references.push({ file, line: index + 1, sections: sectionsOf(match[1]!) });
      }
      if (BARE_REFERENCE.test(text)) bare.push(`${file}:${index + 1}`);
      BARE_REFERENCE.lastIndex = 0;
    });
  }
  return { references, bare };
}

function headings(): Set<number> {
  const doc = readFileSync(path.join(ROOT, PROTOCOL_DOC), 'utf8');
  return new Set([...doc.matchAll(/^## §(\d+) /gm)].map((m) => Number(m[1])));
}

describe('references to docs/protocol.md', () => {
  it('each names a section that has a heading', () => {
    // Prepare
    const sections = headings();
    const files = SCANNED.flatMap(sourceFiles);

    // Act
    const { references } = scan(files);
    const dangling = references.flatMap((ref) =>
      ref.sections.filter((n) => !sections.has(n)).map((n) => `${ref.file}:${ref.line} cites §${n}`),
    );

    // Assess
    expect(references.length).toBeGreaterThan(0);
    expect(dangling).toEqual([]);
  });

  it('always name the document', () => {
    // Prepare
    const files = SCANNED.flatMap(sourceFiles);

    // Act
    const { bare } = scan(files);

    // Assess
    expect(bare).toEqual([]);
  });

  it('has the eight sections in order', () => {
    // Prepare
    const doc = readFileSync(path.join(ROOT, PROTOCOL_DOC), 'utf8');

    // Act
    const numbers = [...doc.matchAll(/^## §(\d+) /gm)].map((m) => Number(m[1]));

    // Assess
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
