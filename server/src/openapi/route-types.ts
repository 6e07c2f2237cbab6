/**
 * Development only (excluded from the build, run by `npm run generate:api`): reads every
 * controller handler's declared return type with the TypeScript compiler and turns the named types
 * it returns into JSON Schemas, so the OpenAPI document describes each answer's body from the same
 * types the handlers are checked against.
 */
import * as path from 'node:path';
import { createGenerator, type Definition } from 'ts-json-schema-generator';
import * as ts from 'typescript';
import type { ApiSchemas, RouteBody } from './schemas';

const SERVER = path.resolve(__dirname, '../..');
const ROOT = path.resolve(SERVER, '..');
const HTTP_DECORATORS = new Set(['Get', 'Post', 'Put', 'Delete', 'Patch', 'Head', 'Options', 'All', 'Sse']);

interface NamedType {
  name: string;
  file: string;
}

function decoratorNames(node: ts.Node): string[] {
  return (ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []).flatMap((d) =>
    ts.isCallExpression(d.expression) && ts.isIdentifier(d.expression.expression) ? [d.expression.expression.text] : [],
  );
}

/** The media types of `@ApiProduces(...)`: a handler that writes a file itself declares them. */
function producedMedia(node: ts.Node): string[] | undefined {
  for (const decorator of ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []) {
    const call = decorator.expression;
    if (ts.isCallExpression(call) && call.expression.getText() === 'ApiProduces')
      return call.arguments.filter(ts.isStringLiteral).map((a) => a.text);
  }
  return undefined;
}

/** The workspace's source of a type the compiler found in a built declaration file. */
function sourceOf(file: string): string {
  const match = /^(.*)\/(contracts|rules|nodes)\/dist\/(.*)\.d\.ts$/.exec(file);
  return match ? `${match[1]}/${match[2]}/src/${match[3]}.ts` : file;
}

/** What one handler answers, from its declared return type; a problem is a string. */
function routeBody(
  checker: ts.TypeChecker,
  where: string,
  type: ts.TypeNode | undefined,
  named: NamedType[],
): RouteBody | string {
  if (!type) return `${where} declares no return type: name the type it answers`;
  let node = type;
  if (ts.isTypeReferenceNode(node) && node.typeName.getText() === 'Promise' && node.typeArguments?.length === 1)
    node = node.typeArguments[0];
  if (node.kind === ts.SyntaxKind.VoidKeyword) return { kind: 'none' };
  if (node.kind === ts.SyntaxKind.StringKeyword) return { kind: 'text' };
  let array = false;
  if (ts.isArrayTypeNode(node)) {
    array = true;
    node = node.elementType;
  }
  if (!ts.isTypeReferenceNode(node) || node.typeArguments?.length)
    return `${where} answers ${type.getText()}: declare a named type (an interface in @loopgate/contracts)`;
  const name = node.typeName.getText();
  if (name === 'StreamableFile') return { kind: 'file' };
  let symbol = checker.getSymbolAtLocation(node.typeName);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.declarations?.[0];
  if (!declaration) return `${where}: cannot find where ${name} is declared`;
  named.push({ name, file: sourceOf(declaration.getSourceFile().fileName) });
  return { kind: 'json', schema: array ? { type: 'array', items: ref(name) } : ref(name) };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Every `#/definitions/X` reference made a reference into the document's components. */
function toComponents(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponents);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string'
          ? inner.replace('#/definitions/', '#/components/schemas/')
          : toComponents(inner),
      ]),
    );
  }
  return value;
}

/** Reads the server's controllers and returns what each operation answers and the schemas it names. */
export function collectApiSchemas(): ApiSchemas {
  const configFile = path.join(SERVER, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${configFile}`);
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  const routes: ApiSchemas['routes'] = {};
  const queries: ApiSchemas['queries'] = {};
  const named: NamedType[] = [];
  const problems: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(path.join(SERVER, 'src')) || file.isDeclarationFile) continue;
    ts.forEachChild(file, function visit(node) {
      if (ts.isClassDeclaration(node) && node.name && decoratorNames(node).includes('Controller')) {
        for (const member of node.members) {
          if (!ts.isMethodDeclaration(member) || !decoratorNames(member).some((d) => HTTP_DECORATORS.has(d))) continue;
          const operationId = `${node.name.text}_${member.name.getText()}`;
          const produces = producedMedia(member);
          const body = decoratorNames(member).includes('Sse')
            ? ({ kind: 'events' } as const)
            : produces
              ? ({ kind: 'file', media: produces } as const)
              : routeBody(checker, operationId, member.type, named);
          if (typeof body === 'string') problems.push(body);
          else routes[operationId] = body;
          const query = member.parameters.find((p) =>
            (ts.getDecorators(p) ?? []).some(
              (d) =>
                ts.isCallExpression(d.expression) &&
                d.expression.expression.getText() === 'Query' &&
                d.expression.arguments.length === 0,
            ),
          );
          if (query?.type && ts.isTypeReferenceNode(query.type)) queries[operationId] = query.type.typeName.getText();
        }
      }
      ts.forEachChild(node, visit);
    });
  }
  if (problems.length) throw new Error(`the API's answers are not all named types:\n${problems.join('\n')}`);
  // Every refusal's body, named by the document's 4XX and 5XX responses.
  named.push({ name: 'ApiErrorBody', file: path.join(ROOT, 'contracts/src/errors.ts') });

  const files = [...new Set(named.map((n) => n.file))].sort();
  const generator = createGenerator({
    path: files.length === 1 ? files[0] : `{${files.join(',')}}`,
    tsconfig: configFile,
    skipTypeCheck: true,
    expose: 'export',
    topRef: false,
    jsDoc: 'extended',
    additionalProperties: false,
    sortProps: true,
  });
  const schemas: Record<string, unknown> = {};
  for (const name of [...new Set(named.map((n) => n.name))].sort()) {
    const { definitions = {}, ...root } = generator.createSchema(name) as Definition & {
      definitions?: Record<string, unknown>;
    };
    delete root.$schema;
    for (const [key, definition] of Object.entries({ ...definitions, [name]: root })) {
      const schema = toComponents(definition);
      const known = schemas[key];
      if (known && JSON.stringify(known) !== JSON.stringify(schema))
        throw new Error(`two different types are named ${key}: rename one`);
      schemas[key] = schema;
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { routes, queries, schemas: sorted };
}

/** The generated module's source (formatted by the caller). */
export function renderApiSchemas(schemas: ApiSchemas): string {
  return [
    "// Generated by `npm run generate:api` from the controllers' declared return types: do not edit.",
    "import type { ApiSchemas } from './schemas';",
    '',
    `export const API_SCHEMAS: ApiSchemas = ${JSON.stringify(schemas)};`,
    '',
  ].join('\n');
}
