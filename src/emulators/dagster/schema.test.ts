import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  validateSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { dagsterSubsetSchema, type DagsterSchemaVariant } from './schema.js';

/**
 * The emulator's schema is written by hand; this checks that it is a faithful subset of Dagster's official
 * one: every type it declares exists there with the same kind, every field and argument with the same type
 * (nullability included), and its interfaces, union members, enum values and input fields are among the
 * official ones (with every required official input field present).
 */

const specs = sharedSpecsDir();

function kind(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'object';
  if (isInterfaceType(type)) return 'interface';
  if (isUnionType(type)) return 'union';
  if (isEnumType(type)) return 'enum';
  if (isInputObjectType(type)) return 'input';
  if (isScalarType(type)) return 'scalar';
  return 'other';
}

function subsetProblems(subset: GraphQLSchema, official: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const [name, type] of Object.entries(subset.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const theirs = official.getType(name);
    if (!theirs) {
      problems.push(`${name}: not in the official schema`);
      continue;
    }
    if (kind(type) !== kind(theirs)) {
      problems.push(`${name}: ${kind(type)} here, ${kind(theirs)} there`);
      continue;
    }
    if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(theirs) || isInterfaceType(theirs))) {
      const officialFields = theirs.getFields();
      for (const field of Object.values(type.getFields())) {
        const other = officialFields[field.name];
        if (!other) {
          problems.push(`${name}.${field.name}: no such field`);
          continue;
        }
        if (String(field.type) !== String(other.type)) {
          problems.push(`${name}.${field.name}: ${String(field.type)} here, ${String(other.type)} there`);
        }
        for (const arg of field.args) {
          const otherArg = other.args.find((a) => a.name === arg.name);
          if (!otherArg) problems.push(`${name}.${field.name}(${arg.name}): no such argument`);
          else if (String(arg.type) !== String(otherArg.type)) {
            problems.push(
              `${name}.${field.name}(${arg.name}): ${String(arg.type)} here, ${String(otherArg.type)} there`,
            );
          }
        }
        for (const otherArg of other.args) {
          if (isNonNullType(otherArg.type) && !field.args.some((a) => a.name === otherArg.name)) {
            problems.push(`${name}.${field.name}(${otherArg.name}): a required argument is missing`);
          }
        }
      }
      const interfaces = new Set(theirs.getInterfaces().map((i) => i.name));
      for (const i of type.getInterfaces()) {
        if (!interfaces.has(i.name)) problems.push(`${name}: does not implement ${i.name} there`);
      }
    }
    if (isUnionType(type) && isUnionType(theirs)) {
      const members = new Set(theirs.getTypes().map((t) => t.name));
      for (const t of type.getTypes())
        if (!members.has(t.name)) problems.push(`${name}: ${t.name} is not a member there`);
    }
    if (isEnumType(type) && isEnumType(theirs)) {
      const values = new Set(theirs.getValues().map((v) => v.name));
      for (const v of type.getValues())
        if (!values.has(v.name)) problems.push(`${name}.${v.name}: no such value`);
    }
    if (isInputObjectType(type) && isInputObjectType(theirs)) {
      const officialFields = theirs.getFields();
      const mine = type.getFields();
      for (const field of Object.values(mine)) {
        const other = officialFields[field.name];
        if (!other) problems.push(`${name}.${field.name}: no such input field`);
        else if (String(field.type) !== String(other.type)) {
          problems.push(`${name}.${field.name}: ${String(field.type)} here, ${String(other.type)} there`);
        }
      }
      for (const other of Object.values(officialFields)) {
        if (isNonNullType(other.type) && !mine[other.name]) {
          problems.push(`${name}.${other.name}: a required input field is missing`);
        }
      }
    }
  }
  for (const root of ['getQueryType', 'getMutationType'] as const) {
    if (subset[root]()?.name !== official[root]()?.name) problems.push(`${root}: different root type`);
  }
  return problems;
}

describe('Dagster emulator schema', () => {
  for (const variant of ['current', 'without-job-owners'] as DagsterSchemaVariant[]) {
    test(`${variant}: is a valid schema`, () => {
      assert.deepEqual(
        validateSchema(dagsterSubsetSchema(variant)).map((e) => e.message),
        [],
      );
    });

    test(`${variant}: is a faithful subset of the official Dagster schema`, (t) => {
      if (!specs) {
        t.skip(specsMissingMessage());
        return;
      }
      const official = buildSchema(readFileSync(join(specs, 'dagster-schema.graphql'), 'utf8'));
      assert.deepEqual(subsetProblems(dagsterSubsetSchema(variant), official), []);
    });
  }

  test('re-executing and terminating runs: the mutations, their arguments and results', () => {
    const mutation = dagsterSubsetSchema().getMutationType();
    assert.ok(mutation);
    const fields = mutation.getFields();
    const reexecute = fields.launchRunReexecution;
    assert.equal(String(reexecute?.type), 'LaunchRunReexecutionResult!');
    assert.deepEqual(
      reexecute?.args.map((a) => `${a.name}: ${String(a.type)}`),
      ['executionParams: ExecutionParams', 'reexecutionParams: ReexecutionParams'],
    );
    const terminate = fields.terminateRun;
    assert.equal(String(terminate?.type), 'TerminateRunResult!');
    assert.deepEqual(
      terminate?.args.map((a) => `${a.name}: ${String(a.type)}`),
      ['runId: String!', 'terminatePolicy: TerminateRunPolicy'],
    );
    const result = dagsterSubsetSchema().getType('TerminateRunResult');
    assert.ok(isUnionType(result));
    assert.deepEqual(
      result.getTypes().map((t) => t.name),
      ['TerminateRunSuccess', 'TerminateRunFailure', 'RunNotFoundError', 'UnauthorizedError', 'PythonError'],
    );
    const params = dagsterSubsetSchema().getType('ReexecutionParams');
    assert.ok(isInputObjectType(params));
    assert.deepEqual(
      Object.values(params.getFields()).map((f) => `${f.name}: ${String(f.type)}`),
      [
        'parentRunId: String!',
        'strategy: ReexecutionStrategy!',
        'extraTags: [ExecutionTag!]',
        'useParentRunTags: Boolean',
      ],
    );
  });

  test('the re-execution result has every member of the official union', (t) => {
    if (!specs) {
      t.skip(specsMissingMessage());
      return;
    }
    const official = buildSchema(readFileSync(join(specs, 'dagster-schema.graphql'), 'utf8'));
    for (const name of ['LaunchRunReexecutionResult', 'TerminateRunResult']) {
      const theirs = official.getType(name);
      const mine = dagsterSubsetSchema().getType(name);
      assert.ok(isUnionType(theirs) && isUnionType(mine), name);
      assert.deepEqual(
        mine
          .getTypes()
          .map((x) => x.name)
          .sort(),
        theirs
          .getTypes()
          .map((x) => x.name)
          .sort(),
        name,
      );
    }
  });

  test('the older variant has no Job.owners', () => {
    const job = dagsterSubsetSchema('without-job-owners').getType('Job');
    assert.ok(isObjectType(job));
    assert.equal(job.getFields().owners, undefined);
  });
});
