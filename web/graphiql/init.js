// GraphiQL for this page's own endpoint (/t/{slug}/graphql, /national/graphql or
// /platform/graphql), from the vendored React and GraphiQL builds (window.React,
// window.ReactDOM, window.GraphiQL): no CDN, no inline script. The endpoint comes from the
// page's <meta name="jogo-config">. The caller signs its requests by pasting a bearer
// token or an API key into GraphiQL's Headers editor; headers are not persisted.

const meta = document.querySelector('meta[name="jogo-config"]');
const config = JSON.parse(meta ? meta.content : "{}");
const endpoint = config.endpoint || window.location.pathname;

const DEFAULT_QUERY = `# Jogo Indonesia Presisi · GraphQL (${endpoint})
#
# Masuk: tempel token atau kunci API di "Headers" di bawah,
# Sign in: paste a bearer token or an API key into "Headers" below:
#   {"Authorization": "Bearer eyJ…"}
#   {"X-API-Key": "jogo_…"}
# Jalankan / Run: Ctrl-Enter.

{
  me {
    kind
    name
    roles
  }
}
`;

const fetcher = window.GraphiQL.createFetcher({ url: endpoint });
const root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  window.React.createElement(window.GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false,
  }),
);
