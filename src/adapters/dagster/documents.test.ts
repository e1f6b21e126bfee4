import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  Kind,
  TypeInfo,
  buildSchema,
  getNamedType,
  isAbstractType,
  parse,
  validate,
  visit,
  visitWithTypeInfo,
  type GraphQLSchema,
} from 'graphql';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { DAGSTER_DOCUMENTS } from './documents.js';

/**
 * Every document the adapter sends is parsed and validated against Dagster's official GraphQL schema, so
 * that a field renamed or removed upstream fails the build instead of a user's request.
 */

const specs = sharedSpecsDir();
let official: GraphQLSchema | null = null;
function officialSchema(): GraphQLSchema {
  official ??= buildSchema(readFileSync(join(specs as string, 'dagster-schema.graphql'), 'utf8'));
  return official;
}

describe('Dagster adapter documents', () => {
  test('there is at least one document of each kind, with unique operation names', () => {
    const names = DAGSTER_DOCUMENTS.map((d) => d.operationName);
    assert.equal(new Set(names).size, names.length);
    assert.ok(DAGSTER_DOCUMENTS.some((d) => d.kind === 'mutation'));
    assert.ok(DAGSTER_DOCUMENTS.some((d) => d.kind === 'query'));
  });

  for (const doc of DAGSTER_DOCUMENTS) {
    test(`${doc.operationName}: one named operation, no aliases`, () => {
      const ast = parse(doc.query);
      const operations = ast.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      assert.equal(operations.length, 1);
      const op = operations[0];
      assert.equal(op?.kind === Kind.OPERATION_DEFINITION ? op.name?.value : undefined, doc.operationName);
      assert.equal(op?.kind === Kind.OPERATION_DEFINITION ? op.operation : undefined, doc.kind);
      // Responses are re-checked against the official schema with default resolvers, which read field names.
      visit(ast, {
        Field(node) {
          assert.equal(node.alias, undefined, `alias ${node.alias?.value} in ${doc.operationName}`);
        },
      });
    });

    test(`${doc.operationName}: validates against the official Dagster schema`, (t) => {
      if (!specs) {
        t.skip(specsMissingMessage());
        return;
      }
      const schema = officialSchema();
      const errors = validate(schema, parse(doc.query));
      assert.deepEqual(
        errors.map((e) => e.message),
        [],
      );
      // Every field of a union or interface type selects __typename (default resolvers resolve types by it).
      const typeInfo = new TypeInfo(schema);
      const missing: string[] = [];
      visit(
        parse(doc.query),
        visitWithTypeInfo(typeInfo, {
          Field(node) {
            const type = typeInfo.getType();
            const named = type ? getNamedType(type) : null;
            if (!node.selectionSet || !named || !isAbstractType(named)) return;
            const direct = node.selectionSet.selections.some(
              (s) => s.kind === Kind.FIELD && s.name.value === '__typename',
            );
            if (!direct) missing.push(`${node.name.value}: ${named.name}`);
          },
        }),
      );
      assert.deepEqual(missing, [], `selections without __typename in ${doc.operationName}`);
    });
  }
});
