// Validates agent-gate's GraphQL queries and the stand-in's answers against GitHub's public GraphQL schema
// (@octokit/graphql-schema), as openapi.ts does for REST: a query GitHub would refuse (an unknown field, a wrong
// argument, a fragment on the wrong type, a mutation) fails the test, and so does an answer GitHub could not give
// (a missing non-null field, a value outside an enum, a wrong scalar): the answer is executed against the schema
// with each field read from the answer itself, so every value passes through its type.
import { schema as githubSchema } from "@octokit/graphql-schema";
import { buildClientSchema, execute, Kind, OperationTypeNode, type IntrospectionQuery, parse, validate, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";

// The answer's own value under the field's response key (its alias, when it has one).
const fromAnswer: GraphQLFieldResolver<unknown, unknown> = (source, _args, _ctx, info) => (source as Record<string, unknown> | null)?.[info.path.key as string];

export class GraphqlDescription {
  private static instance: GraphqlDescription | undefined;
  readonly schema: GraphQLSchema;

  static load(): GraphqlDescription {
    GraphqlDescription.instance ??= new GraphqlDescription();
    return GraphqlDescription.instance;
  }

  private constructor() {
    // GitHub's published SDL defines a few fields twice (EnterpriseOwnerInfo.repositoryDeployKeySetting...), which
    // buildSchema refuses; the introspection result is the schema as the API serves it.
    this.schema = buildClientSchema(githubSchema.json as unknown as IntrospectionQuery);
  }

  /** Problems with a query document as GitHub's schema reads it (none: a query GitHub would run). */
  validateQuery(query: string): string[] {
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch (e) {
      return [`GraphQL query does not parse: ${(e as Error).message}`];
    }
    const problems = validate(this.schema, doc).map((e) => `GraphQL query: ${e.message}`);
    for (const def of doc.definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION && def.operation !== OperationTypeNode.QUERY) problems.push(`GraphQL: agent-gate sends queries only, not a ${def.operation}`);
    }
    return problems;
  }

  /** Problems with a request body: { query, variables } with a valid query. */
  validateRequest(body: unknown): string[] {
    const b = body as { query?: unknown; variables?: unknown } | undefined;
    if (typeof b?.query !== "string") return ["POST /graphql: the body has no query"];
    return this.validateQuery(b.query);
  }

  /** Problems with an answer to `requestBody`'s query: its data must be a value the schema can give. */
  validateResponse(requestBody: unknown, status: number, body: unknown): string[] {
    if (status !== 200) return [`POST /graphql answered ${status}`];
    const b = requestBody as { query: string; variables?: Record<string, unknown> };
    const answer = body as { data?: unknown; errors?: unknown[] } | undefined;
    // GitHub's errors (NOT_FOUND, RATE_LIMITED) without data have nothing to check; a partial answer's data is checked.
    if (answer?.errors && (answer.data === undefined || answer.data === null)) return [];
    if (answer?.data === undefined || answer.data === null) return ["POST /graphql: an answer with neither data nor errors"];
    const result = execute({ schema: this.schema, document: parse(b.query), rootValue: answer.data, variableValues: b.variables ?? {}, fieldResolver: fromAnswer }) as { errors?: readonly { message: string; path?: readonly (string | number)[] }[] };
    return (result.errors ?? []).map((e) => `POST /graphql answer: ${e.path?.join(".") ?? ""}: ${e.message}`);
  }
}
