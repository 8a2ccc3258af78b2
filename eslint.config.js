import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist", "node_modules", ".hangar", "server/db/generated", "test-results", "playwright-report"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "Read configuration through server/config.ts only.",
        },
      ],
    },
  },
  {
    // The config module is the one place that reads the environment; emulators, scripts and
    // benchmarks are separate programs with their own small configuration.
    files: [
      "server/config.ts",
      "server/test/**",
      "**/*.test.ts",
      "emulators/**",
      "benchmarks/**",
      "scripts/**",
      "*.config.ts",
      "e2e/**",
    ],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // Asymmetric matchers (expect.any, expect.objectContaining) are typed `any` by design.
    files: ["**/*.test.ts", "e2e/**"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: ["client/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(\\.\\./)+server/(?!.*\\.schema(\\.ts)?$|trpc/router(\\.ts)?$)",
              message: "The client may import only server/**/*.schema.ts and the router type.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["server/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: "emulators/", message: "Server code talks to emulators over HTTP only." }] },
      ],
    },
  },
);
