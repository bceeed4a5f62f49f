/* effc's C API (effc-c/Effc.h) from C: the same model and input as
   embed.cpp, through MLIR's C handles, errors through a diagnostic
   handler. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "effc-c/Effc.h"
#include "mlir-c/Diagnostics.h"

static void printToStderr(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stderr);
}

/* Prints every diagnostic and counts the errors. */
static MlirLogicalResult onDiagnostic(MlirDiagnostic d, void *user) {
  if (mlirDiagnosticGetSeverity(d) == MlirDiagnosticError)
    ++*(int *)user;
  fprintf(stderr, "embed_c: diagnostic: ");
  mlirDiagnosticPrint(d, printToStderr, NULL);
  fprintf(stderr, "\n");
  return mlirLogicalResultSuccess();
}

static char *readFile(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc(n + 1);
  if (fread(text, 1, n, f) != (size_t)n)
    n = 0;
  text[n] = 0;
  fclose(f);
  return text;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  effcRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  effcRegisterAllPasses();
  int errors = 0;
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, &errors, NULL);

  char *text = readFile(argv[1]);
  if (!text)
    return 1;
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  free(text);
  if (mlirModuleIsNull(module))
    return 1;

  /* A bad pipeline is a diagnostic and a failure, not an exit. */
  if (mlirLogicalResultIsSuccess(effcRunPipeline(
          module, mlirStringRefCreateFromCString("effc-no-such-pass"))) ||
      errors != 1)
    return 3;
  printf("embed_c: bad pipeline reported\n");

  if (mlirLogicalResultIsFailure(effcRunPipeline(
          module, mlirStringRefCreateFromCString(
                      "effc-raise,effc-assign-precision{weights=i8 "
                      "activations=i8},effc-quantize"))))
    return 4;
  EffcJit jit = effcJitCreate(module, mlirStringRefCreateFromCString("main"));
  if (effcJitIsNull(jit))
    return 5;
  int64_t m = effcJitGetDim(jit, false, 0, 0),
          k = effcJitGetDim(jit, false, 0, 1);
  int64_t n = effcJitGetDim(jit, true, 0, 1);
  float *x = malloc(sizeof(float) * m * k), *y = malloc(sizeof(float) * m * n);
  for (int64_t i = 0; i < m * k; ++i)
    x[i] = (float)(sin((double)i) / 2);
  const void *ins[] = {x};
  void *outs[] = {y};
  if (mlirLogicalResultIsFailure(effcJitInvoke(jit, ins, outs)))
    return 6;
  double sum = 0;
  for (int64_t i = 0; i < m * n; ++i)
    sum += y[i];
  printf("embed_c: y[0..3] = %.6f %.6f %.6f, sum %.6f\n", y[0], y[1], y[2],
         sum);
  effcJitDestroy(jit);
  free(x);
  free(y);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
