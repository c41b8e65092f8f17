import asyncio, collections, re
import test_fuzz as tf
from test_fuzz import *
from hypothesis import strategies as st
from hypothesis_graphql import nodes

async def test_explore(app_client, settings):
    loop = asyncio.get_running_loop()
    tenant, operator, admin, ids = await tf._seed(app_client, settings)
    custom = tf.scalars(ids, [tenant.slug])
    big = st.sampled_from(["x" * 30000, "Pohon tumbang " * 2000, "FALLEN_TREE", "dinas", "35.73"]).map(nodes.String)
    custom["String"] = big
    tg = tenant_schema(tenant.modules)._schema
    path = f"/t/{tenant.slug}/graphql"
    counter = collections.Counter()
    class F(tf.Findings):
        def check(self, query, status, body):
            super().check(query, status, body)
            for p, m in tf._messages(body):
                counter[(p, re.sub(r'"[^"]*"', '"…"', m)[:90])] += 1
    f = F()
    platform = await auth_header(settings, Role.PLATFORM_ADMIN)
    nat = await auth_header(settings, Role.NATIONAL_SUPERVISOR)
    for strat, h, pth in [(gql_st.mutations(tg, custom_scalars=custom), operator, path), (gql_st.mutations(tg, fields=tf.ADMIN_MUTATIONS, custom_scalars=custom), admin, path), (gql_st.queries(tg, custom_scalars=custom), operator, path), (gql_st.mutations(platform_schema()._schema, custom_scalars=custom), platform, "/platform/graphql"), (gql_st.queries(national_schema()._schema, custom_scalars=custom), nat, "/national/graphql")]:
        await asyncio.to_thread(tf.fuzz, loop, app_client, pth, h, strat, f)
    for (p, m), n in sorted(counter.items(), key=lambda x: (str(x[0][0]), -x[1])):
        print(n, p, m)
    print("SEEN", f.report())
